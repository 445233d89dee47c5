import { join } from 'node:path';
import type { FacegateConfig } from '../config/config.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import type { BlobStore } from './blob-store.port.js';
import { EncryptedBlobStore } from './encrypted-blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';

/** Directory of photo objects inside the data directory. */
export const BLOB_DIR = 'blobs';

/**
 * The photo store: encrypted objects under `<dataDir>/blobs`. Temp files older than an hour (left by a crashed
 * writer) are swept on creation.
 */
export async function createBlobStore(config: FacegateConfig, cipher: DataCipher): Promise<BlobStore> {
  const files = new FsBlobStore(join(config.dataDir, BLOB_DIR));
  await files.removeStaleTempFiles();
  return new EncryptedBlobStore(files, cipher);
}
