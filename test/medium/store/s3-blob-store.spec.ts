import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore } from '../../../src/app/adapters.js';
import { createS3Client, S3BlobStore } from '../../../src/blobs/s3-blob-store.js';
import { loadConfig, type S3Settings } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { type BlobStoreUnderTest, describeBlobContract } from './blob-contract.js';
import { freshBucketName, type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from './s3-harness.js';
import { codeOf } from './store-fixtures.js';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3?.stop();
});

function settings(bucket: string, extra: Partial<S3Settings> = {}): S3Settings {
  return {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    prefix: 'photos/',
    forcePathStyle: true,
    ...S3RVER_CREDENTIALS,
    sse: undefined,
    sseKmsKeyId: undefined,
    ...extra,
  };
}

async function bucketNames(client: S3Client, bucket: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

/** An S3 store over a fresh bucket of the local server, objects under `photos/`. */
async function openS3(): Promise<BlobStoreUnderTest> {
  const bucket = freshBucketName();
  const blobs = S3BlobStore.fromSettings(settings(bucket));
  const { client } = blobs;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    blobs,
    async rawRead(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `photos/${key}` }));
        return Buffer.from(await result.Body!.transformToByteArray());
      } catch {
        return undefined;
      }
    },
    async rawWrite(key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `photos/${key}`, Body: bytes }));
    },
    async addJunk() {
      const names = [
        'photos/README',
        `photos/${'f'.repeat(64)}.part`,
        `other/${'e'.repeat(64)}`,
        'e'.repeat(64),
      ];
      for (const name of names)
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: 'junk' }));
      return names;
    },
    rawNames: () => bucketNames(client, bucket),
    dispose: async () => undefined,
  };
}

describeBlobContract('S3 (s3rver)', openS3);

describe('S3BlobStore: its own behaviour', () => {
  it('asks for server-side encryption on every write when configured (AES256, or aws:kms with its key)', async () => {
    const bucket = freshBucketName();
    const cases: Array<[Partial<S3Settings>, Record<string, string | undefined>]> = [
      [{}, { sse: undefined, kms: undefined }],
      [{ sse: 'AES256' }, { sse: 'AES256', kms: undefined }],
      [
        { sse: 'aws:kms', sseKmsKeyId: 'alias/facegate' },
        { sse: 'aws:kms', kms: 'alias/facegate' },
      ],
    ];
    for (const [extra, expected] of cases) {
      const blobs = S3BlobStore.fromSettings(settings(bucket, extra));
      const seen: Array<Record<string, string | undefined>> = [];
      blobs.client.middlewareStack.add(
        (next) => async (args) => {
          const headers = (args.request as { headers: Record<string, string> }).headers;
          if ((args.input as { Body?: unknown }).Body !== undefined) {
            seen.push({
              sse: headers['x-amz-server-side-encryption'],
              kms: headers['x-amz-server-side-encryption-aws-kms-key-id'],
            });
          }
          return next(args);
        },
        { step: 'finalizeRequest', name: 'captureSse' },
      );
      // Only the request is checked: s3rver does not implement KMS, so the PUT may be refused.
      await blobs.client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
      await blobs.putAt(randomBytes(32).toString('hex'), Buffer.from('x')).catch(() => undefined);
      expect(seen).toEqual([expected]);
    }
  });

  it('createBlobStore (FACEGATE_BLOBS=s3) stores encrypted objects in the configured bucket and prefix', async () => {
    const bucket = freshBucketName();
    const env = {
      FACEGATE_ENV: 'test',
      FACEGATE_BLOBS: 's3',
      FACEGATE_S3_ENDPOINT: s3.endpoint,
      FACEGATE_S3_BUCKET: bucket,
      FACEGATE_S3_PREFIX: 'tenant-a/',
      FACEGATE_S3_FORCE_PATH_STYLE: 'true',
      FACEGATE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      FACEGATE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const client = createS3Client(settings(bucket));
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const blobs = await createBlobStore(
      loadConfig(env),
      new DataCipher([{ id: 'k1', key: randomBytes(32) }]),
    );
    expect(blobs.kind).toBe('encrypted-s3');
    const photo = Buffer.from('FACEGATE-PLAINTEXT-PHOTO-MARKER');
    const key = await blobs.put(photo, 'image/jpeg');
    expect(await bucketNames(client, bucket)).toEqual([`tenant-a/${key}`]);
    const raw = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `tenant-a/${key}` }));
    expect(Buffer.from(await raw.Body!.transformToByteArray()).includes(photo)).toBe(false);
    expect(Buffer.from((await blobs.get(key))!).equals(photo)).toBe(true);
  });

  it('a missing bucket is refused with a stable code; an unreachable server is NOT_READY', async () => {
    const missing = S3BlobStore.fromSettings(settings(freshBucketName()));
    expect(await codeOf(missing.put(Buffer.from('x'), 'x'))).toMatch(/^(INTERNAL|NOT_READY)$/);
    const dead = S3BlobStore.fromSettings(settings('b', { endpoint: 'http://127.0.0.1:1' }));
    expect(await codeOf(dead.put(Buffer.from('x'), 'x'))).toBe('NOT_READY');
  });
});
