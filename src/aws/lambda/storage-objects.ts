import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  type S3Client,
} from '@aws-sdk/client-s3';

/** One object read from the storage bucket. */
export interface StoredObject {
  body: Uint8Array;
  contentType: string | undefined;
  /** User metadata, keys lower case (as S3 returns them). */
  metadata: Record<string, string>;
}

/** What the storage function does to objects: read them, and move a refused one aside with its reason. */
export interface StorageObjects {
  /** The object, or undefined when it is gone (already moved by an earlier delivery of the same event). */
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Copies to `to` with extra metadata, then deletes `from`; a missing `from` is not an error. */
  move(bucket: string, from: string, to: string, metadata: Record<string, string>): Promise<void>;
}

/** Largest photo the storage function reads (S3 allows far more; faces need far less). */
export const MAX_OBJECT_BYTES = 15 * 1024 * 1024;

/** {@link StorageObjects} on S3. */
export class S3StorageObjects implements StorageObjects {
  constructor(private readonly s3: S3Client) {}

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if ((out.ContentLength ?? 0) > MAX_OBJECT_BYTES) {
        void out.Body?.transformToWebStream().cancel();
        return { body: new Uint8Array(), contentType: out.ContentType, metadata: { 'too-large': 'true' } };
      }
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { body, contentType: out.ContentType, metadata: out.Metadata ?? {} };
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async move(bucket: string, from: string, to: string, metadata: Record<string, string>): Promise<void> {
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'REPLACE',
          Metadata: metadata,
        }),
      );
    } catch (error) {
      if (error instanceof NoSuchKey) return;
      throw error;
    }
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
  }
}
