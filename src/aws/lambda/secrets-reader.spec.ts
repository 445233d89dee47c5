import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { readStackSecret } from './secrets-reader.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:facegate-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

afterEach(() => {
  secrets.reset();
  vi.restoreAllMocks();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('readStackSecret', () => {
  it('sends GetSecretValue for the ARN and reads the two keys of its JSON, ignoring anything else', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ dataKey: 'ZGF0YQ==', tokenSigningKey: 'dG9rZW4=', note: 'x', other: 1 }),
    });
    const destroy = vi.spyOn(SecretsManagerClient.prototype, 'destroy');
    expect(await readStackSecret(ARN)).toEqual({ dataKey: 'ZGF0YQ==', tokenSigningKey: 'dG9rZW4=' });
    const calls = secrets.commandCalls(GetSecretValueCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{ SecretId: ARN }]);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('keeps only string keys: a key that is absent or not a string is left out', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ dataKey: 42 }) });
    expect(await readStackSecret(ARN)).toEqual({});
  });

  it('refuses a secret that is not a JSON object (CONFIG_INVALID), and still releases the client', async () => {
    const destroy = vi.spyOn(SecretsManagerClient.prototype, 'destroy');
    for (const SecretString of ['dataKey=abc', '"just a string"', 'null', undefined]) {
      secrets.on(GetSecretValueCommand).resolves(SecretString === undefined ? {} : { SecretString });
      const error = await failure(readStackSecret(ARN));
      expect(isFacegateError(error, 'CONFIG_INVALID'), String(SecretString)).toBe(true);
    }
    expect(destroy).toHaveBeenCalledTimes(4);
  });

  it('passes on an error of Secrets Manager itself', async () => {
    const missing = new ResourceNotFoundException({ message: 'no such secret', $metadata: {} });
    secrets.on(GetSecretValueCommand).rejects(missing);
    expect(await failure(readStackSecret(ARN))).toBe(missing);
  });
});
