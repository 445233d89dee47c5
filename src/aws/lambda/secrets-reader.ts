import { FacegateError } from '../../domain/errors.js';

/** The part of `@aws-sdk/client-secrets-manager` the reader uses. */
interface SecretsManagerModule {
  SecretsManagerClient: new (
    config: object,
  ) => {
    send(command: unknown): Promise<{ SecretString?: string }>;
    destroy(): void;
  };
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
}

/**
 * Reads the stack's secret (`{"dataKey": …, "tokenSigningKey": …}`) with Secrets Manager. The client comes from the
 * Lambda runtime, which ships every AWS SDK v3 client (the bundles leave `@aws-sdk/*` out). Here it is only a
 * devDependency, for its tests; the import by name keeps a server installed without dev packages loading.
 */
export async function readStackSecret(arn: string): Promise<{ dataKey?: string; tokenSigningKey?: string }> {
  const name = '@aws-sdk/client-secrets-manager';
  let sdk: SecretsManagerModule;
  try {
    sdk = (await import(name)) as SecretsManagerModule;
  } catch (cause) {
    throw new FacegateError(
      'CONFIG_INVALID',
      `${name} is not available here; set FACEGATE_DATA_KEY and FACEGATE_TOKEN_SIGNING_KEY instead of FACEGATE_SECRETS_ARN`,
      {},
      { cause },
    );
  }
  const client = new sdk.SecretsManagerClient({});
  try {
    const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
    return parseStackSecret(out.SecretString);
  } finally {
    client.destroy();
  }
}

/** The two keys of the secret's JSON; anything else (or no JSON) is a configuration error. */
export function parseStackSecret(text: string | undefined): { dataKey?: string; tokenSigningKey?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new FacegateError('CONFIG_INVALID', 'The stack secret is not JSON');
  }
  if (typeof value !== 'object' || value === null) {
    throw new FacegateError('CONFIG_INVALID', 'The stack secret must be a JSON object');
  }
  const { dataKey, tokenSigningKey } = value as Record<string, unknown>;
  return {
    ...(typeof dataKey === 'string' ? { dataKey } : {}),
    ...(typeof tokenSigningKey === 'string' ? { tokenSigningKey } : {}),
  };
}
