import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../domain/errors.js';
import { loadConfig } from './config.js';

const base = { FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: '/nonexistent' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (error) {
    if (!isFacegateError(error, 'CONFIG_INVALID')) throw error;
    return (error.details as { problems: string[] }).problems;
  }
}

describe('AWS settings', () => {
  it('reads the DynamoDB store and the Rekognition engine as the stack sets them', () => {
    const config = loadConfig({
      ...base,
      FACEGATE_STORE: 'dynamodb',
      FACEGATE_DYNAMODB_TABLE: 'facegate',
      FACEGATE_ENGINE: 'rekognition',
      FACEGATE_REKOGNITION_COLLECTION: 'facegate-employees',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.store).toMatchObject({
      kind: 'dynamodb',
      dynamodb: { table: 'facegate', endpoint: undefined, region: 'eu-west-1' },
    });
    expect(config.aws).toMatchObject({ collectionId: 'facegate-employees', livenessProvider: 'none' });
  });

  it('refuses the combinations that are not built, naming each', () => {
    expect(problems({ FACEGATE_STORE: 'dynamodb' })).toEqual([
      'FACEGATE_DYNAMODB_TABLE is required when FACEGATE_STORE=dynamodb',
    ]);
    expect(problems({ FACEGATE_ENGINE: 'rekognition' })).toEqual([
      'FACEGATE_REKOGNITION_COLLECTION is required when FACEGATE_ENGINE=rekognition',
    ]);
    expect(
      problems({
        FACEGATE_ENGINE: 'rekognition',
        FACEGATE_REKOGNITION_COLLECTION: 'c',
        FACEGATE_LIVENESS_PROVIDER: 'local',
      })[0],
    ).toMatch(/cannot run FACEGATE_LIVENESS_PROVIDER=local/);
    expect(problems({ FACEGATE_DYNAMODB_ENDPOINT: 'localhost:8000' })).toEqual([
      'FACEGATE_DYNAMODB_ENDPOINT must be an http:// or https:// URL',
    ]);
    expect(problems({ FACEGATE_STORE: 'mongodb' })[0]).toMatch(
      /FACEGATE_STORE must be one of sqlite, postgres, dynamodb/,
    );
  });

  it('keeps the local engine and the local liveness challenge as the defaults', () => {
    const config = loadConfig(base);
    expect(config.engine.kind).toBe('local');
    expect(config.aws.livenessProvider).toBe('local');
    expect(config.store.kind).toBe('sqlite');
  });

  it('takes Rekognition Face Liveness only on the Rekognition engine, with a streaming role and a bounded confidence', () => {
    const remote = {
      FACEGATE_ENGINE: 'rekognition',
      FACEGATE_REKOGNITION_COLLECTION: 'c',
      FACEGATE_LIVENESS_PROVIDER: 'rekognition',
    };
    const role = 'arn:aws:iam::123456789012:role/facegate-liveness-streaming';
    const config = loadConfig({ ...base, ...remote, FACEGATE_LIVENESS_STREAMING_ROLE_ARN: role });
    expect(config.aws).toMatchObject({
      livenessProvider: 'rekognition',
      faceLiveness: { streamingRoleArn: role, minConfidence: 80, kmsKeyId: undefined },
    });
    expect(
      loadConfig({
        ...base,
        ...remote,
        FACEGATE_LIVENESS_STREAMING_ROLE_ARN: role,
        FACEGATE_LIVENESS_MIN_CONFIDENCE: '92.5',
        FACEGATE_LIVENESS_KMS_KEY_ID: 'alias/facegate',
      }).aws.faceLiveness,
    ).toMatchObject({ minConfidence: 92.5, kmsKeyId: 'alias/facegate' });
    expect(
      problems({ FACEGATE_LIVENESS_PROVIDER: 'rekognition', FACEGATE_LIVENESS_STREAMING_ROLE_ARN: role }),
    ).toEqual([
      expect.stringMatching(/FACEGATE_LIVENESS_PROVIDER=rekognition needs FACEGATE_ENGINE=rekognition/),
    ]);
    expect(problems(remote)).toEqual([
      expect.stringMatching(/FACEGATE_LIVENESS_STREAMING_ROLE_ARN is required/),
    ]);
    expect(problems({ ...remote, FACEGATE_LIVENESS_STREAMING_ROLE_ARN: 'facegate-role' })).toEqual([
      expect.stringMatching(/must be an IAM role ARN/),
    ]);
    expect(
      problems({
        ...remote,
        FACEGATE_LIVENESS_STREAMING_ROLE_ARN: role,
        FACEGATE_LIVENESS_MIN_CONFIDENCE: '101',
      }),
    ).toEqual(['FACEGATE_LIVENESS_MIN_CONFIDENCE must be a number in [0, 100], got "101"']);
    // `none` is still taken (and then refuses face login under a liveness mode other than off).
    expect(loadConfig({ ...base, ...remote, FACEGATE_LIVENESS_PROVIDER: 'none' }).aws.livenessProvider).toBe(
      'none',
    );
  });
});
