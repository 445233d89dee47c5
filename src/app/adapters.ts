import { join } from 'node:path';
import type { KeyedBlobStore } from '../blobs/blob-store.port.js';
import { EncryptedBlobStore } from '../blobs/encrypted-blob-store.js';
import { FsBlobStore } from '../blobs/fs-blob-store.js';
import { S3BlobStore } from '../blobs/s3-blob-store.js';
import type { FacegateConfig } from '../config/config.js';
import { createDataCipher, type DataCipher } from '../crypto/data-cipher.js';
import { FacegateError } from '../domain/errors.js';
import { localEngineSettings } from '../engine/create-face-engine.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import { LocalFaceEngine } from '../engine/local-face-engine.js';
import { PooledFaceEngine } from '../engine/pooled-face-engine.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { MIGRATIONS } from '../store/sqlite/migrations.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.port.js';
import type { TransferEnd } from '../store/transfer/archive-manifest.js';
import { type ExportReport, exportArchive } from '../store/transfer/export-archive.js';
import { type ImportReport, importArchive } from '../store/transfer/import-archive.js';

// The adapters behind each port, chosen from the config. Only the composition root (and tests of one adapter
// through it) call these.

/** File name of the embedded database inside the data directory. */
export const SQLITE_FILE = 'facegate.db';

/** Directory of photo objects inside the data directory. */
export const BLOB_DIR = 'blobs';

/**
 * Opens the configured store, migrated on open: SQLite at `<dataDir>/facegate.db`, or PostgreSQL at
 * `FACEGATE_DATABASE_URL` (its search path chooses the schema).
 */
export async function createStore(config: FacegateConfig, cipher: DataCipher): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return SqliteStore.open(join(config.dataDir, SQLITE_FILE), cipher);
    case 'postgres':
      if (!config.store.postgresUrl) {
        throw new FacegateError(
          'CONFIG_INVALID',
          'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
        );
      }
      return PostgresStore.open({ connectionString: config.store.postgresUrl }, cipher);
    default:
      throw new FacegateError('CONFIG_INVALID', `Unknown store kind "${String(config.store.kind)}"`);
  }
}

/**
 * The photo store, always encrypted with the data cipher: files under `<dataDir>/blobs` (temp files older than an
 * hour, left by a crashed writer, are swept on creation), or objects of the `FACEGATE_S3_*` bucket.
 */
export async function createBlobStore(
  config: FacegateConfig,
  cipher: DataCipher,
): Promise<EncryptedBlobStore> {
  return new EncryptedBlobStore(await createRawBlobStore(config), cipher);
}

/**
 * The photo objects as stored, beneath the encryption (ciphertexts at their keyed addresses): the files under
 * `<dataDir>/blobs` (stale temp files of a crashed writer swept first) or the `FACEGATE_S3_*` bucket.
 */
async function createRawBlobStore(config: FacegateConfig): Promise<KeyedBlobStore> {
  if (config.blobs.kind === 's3') return S3BlobStore.fromSettings(config.blobs.s3);
  const files = new FsBlobStore(join(config.dataDir, BLOB_DIR));
  await files.removeStaleTempFiles();
  return files;
}

/**
 * Builds the configured FaceEngine: `engine.workers` = 0 runs the local engine in the calling thread
 * (CLI, tests, eval); more runs it in that many worker threads so inference never blocks the event loop.
 * Models load on the first call or on `load()`.
 */
export function createEngine(config: FacegateConfig): FaceEngine {
  if (config.engine.kind !== 'local') {
    throw new FacegateError(
      'CONFIG_INVALID',
      `Face engine "${config.engine.kind}" is not available in this build`,
    );
  }
  const settings = localEngineSettings(config);
  return config.engine.workers === 0
    ? new LocalFaceEngine(settings)
    : new PooledFaceEngine(settings, config.engine.workers);
}

/** The data at rest without an engine: cipher, store and photo store (key rotation, account commands). */
export interface Storage {
  cipher: DataCipher;
  store: Store;
  blobs: EncryptedBlobStore;
  close(): Promise<void>;
}

/** Opens cipher → store → photo store; closes the store again when the photo store cannot be opened. */
export async function openStorage(config: FacegateConfig): Promise<Storage> {
  const cipher = await createDataCipher(config);
  const store = await createStore(config, cipher);
  try {
    const blobs = await createBlobStore(config, cipher);
    return { cipher, store, blobs, close: () => store.close() };
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

/** What `facegate migrate` did: the store it migrated and the schema version it is now at. */
export interface MigrationReport {
  store: FacegateConfig['store']['kind'];
  schemaVersion: number;
}

/**
 * Applies pending migrations to the configured store and closes it (stores migrate on open; on PostgreSQL an
 * advisory lock makes concurrent runs wait, so each step is applied once). Opens no photo store and no engine.
 */
export async function migrateStorage(config: FacegateConfig): Promise<MigrationReport> {
  const cipher = await createDataCipher(config);
  const store = await createStore(config, cipher);
  await store.close();
  return { store: config.store.kind, schemaVersion: Math.max(...MIGRATIONS.map((m) => m.version)) };
}

/** Opens the configured store and raw photo store as one end of a move, runs `fn`, and closes the store. */
async function withTransferEnd<T>(config: FacegateConfig, fn: (end: TransferEnd) => Promise<T>): Promise<T> {
  const cipher = await createDataCipher(config);
  const store = await createStore(config, cipher);
  try {
    if (!store.transfer) {
      throw new FacegateError('CONFIG_INVALID', `The ${store.kind} store cannot be exported or imported`);
    }
    const photos = await createRawBlobStore(config);
    return await fn({ storeKind: store.kind, transfer: store.transfer, photos, cipher });
  } finally {
    await store.close();
  }
}

/** `facegate export`: the configured store and photo store, as stored, into the archive directory `dir`. */
export function exportStorage(config: FacegateConfig, dir: string): Promise<ExportReport> {
  return withTransferEnd(config, (source) => exportArchive({ ...source, blobsKind: config.blobs.kind }, dir));
}

/** `facegate import`: the archive in `dir` into the configured (empty) store and photo store, then verified. */
export function importStorage(config: FacegateConfig, dir: string): Promise<ImportReport> {
  return withTransferEnd(config, (target) => importArchive(target, dir));
}
