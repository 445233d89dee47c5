import { describe, expect, it } from 'vitest';
import { FacegateError } from '../domain/errors.js';
import { loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('CONFIG_INVALID');
    return ((error as FacegateError).details as { problems: string[] }).problems;
  }
  return [];
}

describe('storage settings', () => {
  it('default to the embedded single node: SQLite and files', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.store).toMatchObject({ kind: 'sqlite', postgresUrl: undefined });
    expect(config.blobs.kind).toBe('fs');
  });

  it('postgres needs a postgres:// FACEGATE_DATABASE_URL; the old name is refused, not ignored', () => {
    expect(problems({ FACEGATE_STORE: 'postgres' })).toEqual([
      'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
    ]);
    expect(problems({ FACEGATE_STORE: 'postgres', FACEGATE_DATABASE_URL: 'mysql://h/db' })).toEqual([
      'FACEGATE_DATABASE_URL must be a postgres:// or postgresql:// URL',
    ]);
    expect(problems({ FACEGATE_POSTGRES_URL: 'postgres://h/db' })).toEqual([
      'FACEGATE_POSTGRES_URL was renamed FACEGATE_DATABASE_URL',
    ]);
    const url = 'postgresql://facegate@db.internal:5432/facegate';
    const config = loadConfig({ NODE_ENV: 'test', FACEGATE_STORE: 'postgres', FACEGATE_DATABASE_URL: url });
    expect(config.store).toMatchObject({ kind: 'postgres', postgresUrl: url });
  });

  it('s3 reads every FACEGATE_S3_* setting', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      FACEGATE_BLOBS: 's3',
      FACEGATE_S3_ENDPOINT: 'https://minio.internal:9000',
      FACEGATE_S3_REGION: 'eu-west-3',
      FACEGATE_S3_BUCKET: 'photos',
      FACEGATE_S3_PREFIX: 'facegate/',
      FACEGATE_S3_FORCE_PATH_STYLE: 'true',
      FACEGATE_S3_ACCESS_KEY_ID: 'AKIA',
      FACEGATE_S3_SECRET_ACCESS_KEY: 'shh',
      FACEGATE_S3_SSE: 'aws:kms',
      FACEGATE_S3_SSE_KMS_KEY_ID: 'alias/facegate',
    });
    expect(config.blobs).toEqual({
      kind: 's3',
      s3: {
        endpoint: 'https://minio.internal:9000',
        region: 'eu-west-3',
        bucket: 'photos',
        prefix: 'facegate/',
        forcePathStyle: true,
        accessKeyId: 'AKIA',
        secretAccessKey: 'shh',
        sse: 'aws:kms',
        sseKmsKeyId: 'alias/facegate',
      },
    });
  });

  it('s3 settings are validated together, every problem at once', () => {
    expect(
      problems({
        FACEGATE_BLOBS: 's3',
        FACEGATE_S3_ENDPOINT: 'minio:9000',
        FACEGATE_S3_ACCESS_KEY_ID: 'AKIA',
        FACEGATE_S3_SSE: 'kms',
        FACEGATE_S3_SSE_KMS_KEY_ID: 'k',
        FACEGATE_S3_PREFIX: '/abs',
      }),
    ).toEqual([
      'FACEGATE_S3_SSE must be one of AES256, aws:kms, got "kms"',
      'FACEGATE_S3_BUCKET is required when FACEGATE_BLOBS=s3',
      'FACEGATE_S3_ENDPOINT must be an http:// or https:// URL',
      'FACEGATE_S3_ACCESS_KEY_ID and FACEGATE_S3_SECRET_ACCESS_KEY must be set together',
      'FACEGATE_S3_SSE_KMS_KEY_ID needs FACEGATE_S3_SSE=aws:kms',
      'FACEGATE_S3_PREFIX must be a relative key prefix, e.g. "facegate/photos/"',
    ]);
    expect(problems({ FACEGATE_BLOBS: 'gcs' })).toEqual(['FACEGATE_BLOBS must be one of fs, s3, got "gcs"']);
    // S3 settings are not checked while the photos stay on files.
    expect(problems({ FACEGATE_S3_ENDPOINT: 'minio:9000' })).toEqual([]);
  });
});
