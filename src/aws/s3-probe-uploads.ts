import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { FacegateError } from '../domain/errors.js';
import type { ProbeContentType, ProbeUploads, ProbeUploadTicket } from '../services/probe-upload.service.js';
import { assertValidationKey, createUploadTicket } from './lambda/presigned-upload.js';

/** Settings of {@link S3ProbeUploads}. */
export interface S3ProbeUploadsOptions {
  client: S3Client;
  bucket: string;
  region: string;
  /** A local S3-compatible server (path-style URLs on its origin); AWS when absent. */
  endpoint?: string;
  /** Largest probe read back, in bytes (the engine's image limit). */
  maxBytes: number;
  now?: () => Date;
}

/**
 * Probes in the validation bucket: presigned PUTs signed with the client's own credentials (the function's role
 * on Lambda), keys under `probes/` only, read back with GetObject. The bucket's lifecycle rule deletes them.
 */
export class S3ProbeUploads implements ProbeUploads {
  constructor(private readonly options: S3ProbeUploadsOptions) {}

  async ticket(contentType: ProbeContentType): Promise<ProbeUploadTicket> {
    const { client, bucket, region, endpoint } = this.options;
    const credentials = await client.config.credentials();
    return createUploadTicket({
      bucket,
      region,
      credentials,
      contentType,
      ...(endpoint ? { endpoint } : {}),
      now: this.options.now?.() ?? new Date(),
    });
  }

  async read(key: string): Promise<Uint8Array> {
    const { client, bucket, maxBytes } = this.options;
    let out: GetObjectCommandOutput;
    try {
      out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: assertValidationKey(key) }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') {
        throw new FacegateError('NOT_FOUND', 'Nothing was uploaded under this key, or it expired');
      }
      throw error;
    }
    if ((out.ContentLength ?? 0) > maxBytes) {
      throw new FacegateError('IMAGE_TOO_LARGE', 'Uploaded photo is too large');
    }
    const bytes = await out.Body?.transformToByteArray();
    if (!bytes || bytes.length === 0) throw new FacegateError('IMAGE_MISSING', 'The upload is empty');
    if (bytes.length > maxBytes) throw new FacegateError('IMAGE_TOO_LARGE', 'Uploaded photo is too large');
    return bytes;
  }
}
