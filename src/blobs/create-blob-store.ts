import { join } from 'node:path';
import type { FacegateConfig } from '../config/config.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { EncryptedBlobStore } from './encrypted-blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** Directory of photo objects inside the data directory. */
export const BLOB_DIR = 'blobs';

/**
 * The photo store, always encrypted with the data cipher: files under `<dataDir>/blobs` (temp files older than an
 * hour, left by a crashed writer, are swept on creation), or objects of the `FACEGATE_S3_*` bucket.
 */
export async function createBlobStore(
  config: FacegateConfig,
  cipher: DataCipher,
): Promise<EncryptedBlobStore> {
  if (config.blobs.kind === 's3') {
    return new EncryptedBlobStore(S3BlobStore.fromSettings(config.blobs.s3), cipher);
  }
  const files = new FsBlobStore(join(config.dataDir, BLOB_DIR));
  await files.removeStaleTempFiles();
  return new EncryptedBlobStore(files, cipher);
}
