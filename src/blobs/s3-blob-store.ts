import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Settings } from '../config/config.js';
import { sha256Hex } from '../crypto/hash.js';
import { FacegateError } from '../domain/errors.js';
import type { KeyedBlobStore } from './blob-store.port.js';
import { assertBlobKey } from './fs-blob-store.js';

const KEY = /^[0-9a-f]{64}$/;

/** Options of {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  bucket: string;
  /** Prefix of every object key, e.g. `facegate/photos/`. */
  prefix?: string;
  /** Server-side encryption asked for on every write (on top of facegate's own encryption). */
  sse?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
}

/** The S3 client of `settings`: endpoint, region, path style and static credentials when given. */
export function createS3Client(settings: S3Settings): S3Client {
  const { accessKeyId, secretAccessKey } = settings;
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  });
}

function statusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return statusOf(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** Storage errors as stable codes: unreachable or failing storage is `NOT_READY`, a refused request `INTERNAL`. */
function storageError(error: unknown): FacegateError {
  if (error instanceof FacegateError) return error;
  const status = statusOf(error);
  if (status === undefined || status >= 500) {
    return new FacegateError('NOT_READY', 'Object storage is unreachable', undefined, { cause: error });
  }
  return new FacegateError(
    'INTERNAL',
    `Object storage refused the request (${status})`,
    { status },
    { cause: error },
  );
}

/**
 * Photos as objects of an S3-compatible bucket, at `<prefix><key>`. Each write is one PUT, which S3 applies whole
 * or not at all, so there are no temp objects to sweep (no multipart uploads: photos are far below the 5 GB of a
 * single PUT). Only names that are object keys under the prefix are listed, whatever else the bucket holds.
 */
export class S3BlobStore implements KeyedBlobStore {
  readonly kind = 's3';
  private readonly prefix: string;

  constructor(
    readonly client: S3Client,
    private readonly options: S3BlobStoreOptions,
  ) {
    this.prefix = options.prefix ?? '';
  }

  /** The store of the `FACEGATE_S3_*` settings; throws `CONFIG_INVALID` without a bucket. */
  static fromSettings(settings: S3Settings): S3BlobStore {
    if (!settings.bucket) throw new FacegateError('CONFIG_INVALID', 'FACEGATE_S3_BUCKET is required');
    return new S3BlobStore(createS3Client(settings), {
      bucket: settings.bucket,
      prefix: settings.prefix,
      sse: settings.sse,
      sseKmsKeyId: settings.sseKmsKeyId,
    });
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return this.prefix + key;
  }

  /** Stores bytes under their sha256; an existing object with that key is kept as it is. */
  async put(bytes: Uint8Array, _contentType: string): Promise<string> {
    const key = sha256Hex(bytes);
    await this.putAt(key, bytes);
    return key;
  }

  async putAt(key: string, bytes: Uint8Array): Promise<void> {
    if (await this.has(key)) return;
    await this.write(key, bytes);
  }

  async replace(key: string, bytes: Uint8Array): Promise<boolean> {
    if (!(await this.has(key))) return false;
    await this.write(key, bytes);
    return true;
  }

  private async write(key: string, bytes: Uint8Array): Promise<void> {
    const input: PutObjectCommandInput = {
      Bucket: this.options.bucket,
      Key: this.objectKey(key),
      Body: bytes,
      ContentType: 'application/octet-stream',
      ServerSideEncryption: this.options.sse,
      SSEKMSKeyId: this.options.sse === 'aws:kms' ? this.options.sseKmsKeyId : undefined,
    };
    await this.client.send(new PutObjectCommand(input)).catch((error: unknown) => {
      throw storageError(error);
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) });
    try {
      const result = await this.client.send(command);
      return result.Body ? await result.Body.transformToByteArray() : new Uint8Array(0);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storageError(error);
    }
  }

  async has(key: string): Promise<boolean> {
    const command = new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) });
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw storageError(error);
    }
  }

  /** S3 deletes are idempotent and say nothing about absence, hence the HEAD first. */
  async delete(key: string): Promise<boolean> {
    if (!(await this.has(key))) return false;
    const command = new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) });
    await this.client.send(command).catch((error: unknown) => {
      throw storageError(error);
    });
    return true;
  }

  /** Every object key under the prefix, in key order, a page of up to 1000 at a time. */
  async *list(): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const command = new ListObjectsV2Command({
        Bucket: this.options.bucket,
        Prefix: this.prefix,
        ContinuationToken: token,
      });
      const page = await this.client.send(command).catch((error: unknown) => {
        throw storageError(error);
      });
      for (const object of page.Contents ?? []) {
        const name = object.Key?.slice(this.prefix.length);
        if (name !== undefined && KEY.test(name)) yield name;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
