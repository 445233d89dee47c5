import { join } from 'node:path';
import type { PasswordHasher } from '../auth/password-hasher.js';
import { loadWasmPasswordHasher } from '../auth/wasm-password-hasher.js';
import { S3ProbeUploads } from '../aws/s3-probe-uploads.js';
import type { KeyedBlobStore } from '../blobs/blob-store.port.js';
import { EncryptedBlobStore } from '../blobs/encrypted-blob-store.js';
import { FsBlobStore } from '../blobs/fs-blob-store.js';
import { createS3Client, S3BlobStore } from '../blobs/s3-blob-store.js';
import type { FacegateConfig } from '../config/config.js';
import { createDataCipher, type DataCipher } from '../crypto/data-cipher.js';
import { FacegateError } from '../domain/errors.js';
import type { EngineInfo, FaceEngine } from '../engine/face-engine.port.js';
import { RemoteOnlyEngine } from '../engine/remote-only-engine.js';
import { SmtpInvitationMailer } from '../mail/smtp-invitation-mailer.js';
import type { FaceMatcher } from '../services/face-matcher.port.js';
import type { InvitationMailer } from '../services/invitation-mailer.port.js';
import type { LivenessSessions } from '../services/liveness-sessions.port.js';
import { LocalFaceMatcher } from '../services/local-face-matcher.js';
import type { ThresholdLookup } from '../services/match-settings.js';
import type { ProbeUploads } from '../services/probe-upload.service.js';
import type { RemoteFaceMatcher } from '../services/remote-face-matcher.port.js';
import type { ServiceGallery, ServiceLogger } from '../services/service-context.js';
import { MIGRATIONS } from '../store/sqlite/migrations.js';
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
 * Opens the configured store, migrated on open: SQLite at `<dataDir>/facegate.db`, PostgreSQL at
 * `FACEGATE_DATABASE_URL` (its search path chooses the schema), or DynamoDB's `FACEGATE_DYNAMODB_TABLE` (created by
 * the CDK stack; no migrations). Each store's module is loaded only when chosen, so a Lambda bundle never loads
 * the SQLite driver.
 */
export async function createStore(config: FacegateConfig, cipher: DataCipher): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite': {
      const { SqliteStore } = await import('../store/sqlite/sqlite-store.js');
      return SqliteStore.open(join(config.dataDir, SQLITE_FILE), cipher);
    }
    case 'postgres': {
      if (!config.store.postgresUrl) {
        throw new FacegateError(
          'CONFIG_INVALID',
          'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
        );
      }
      const { PostgresStore } = await import('../store/postgres/postgres-store.js');
      return PostgresStore.open({ connectionString: config.store.postgresUrl }, cipher);
    }
    case 'dynamodb': {
      const { table, endpoint, region } = config.store.dynamodb;
      if (!table) {
        throw new FacegateError(
          'CONFIG_INVALID',
          'FACEGATE_DYNAMODB_TABLE is required when FACEGATE_STORE=dynamodb',
        );
      }
      const { DynamoStore } = await import('../store/dynamodb/dynamodb-store.js');
      return DynamoStore.open(
        { tableName: table, clientConfig: { region, ...(endpoint ? { endpoint } : {}) } },
        cipher,
      );
    }
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

/** The Rekognition adapter on a collection of the region (its SDK is loaded only here). */
async function rekognitionMatcher(region: string, collectionId: string): Promise<RemoteFaceMatcher> {
  const [{ RekognitionClient }, { RekognitionFaceMatcher }] = await Promise.all([
    import('@aws-sdk/client-rekognition'),
    import('../aws/rekognition/rekognition-face-matcher.js'),
  ]);
  return new RekognitionFaceMatcher({ client: new RekognitionClient({ region }), collectionId });
}

/** What facegate records as the engine of a remote collection (Rekognition gives no embeddings: dimension 0). */
export const REKOGNITION_ENGINE: EngineInfo = {
  engine: 'rekognition',
  model: 'rekognition',
  version: '1',
  dimension: 0,
};

/**
 * The configured FaceEngine: the local engine (loaded lazily, see `local-engine.ts`), or for a remote collection
 * an engine that only names it and refuses local analysis.
 */
export async function openEngine(config: FacegateConfig): Promise<FaceEngine> {
  if (config.engine.kind === 'rekognition') return new RemoteOnlyEngine(REKOGNITION_ENGINE);
  const { createEngine } = await import('./local-engine.js');
  return createEngine(config);
}

/** The matcher of the services and the thresholds on its scale (the calibrated table for the local engine). */
export interface MatcherChoice {
  matcher: FaceMatcher;
  /** Set for a remote collection: its presets on its own similarity scale. */
  thresholds?: ThresholdLookup;
}

/**
 * The configured matcher: the local engine over the in-memory gallery, or the Rekognition collection
 * (created when missing). `store` tells the remote matcher which employees have faces.
 */
export async function createMatcher(
  config: FacegateConfig,
  engine: FaceEngine,
  gallery: ServiceGallery,
  store: Store,
  given?: RemoteFaceMatcher,
): Promise<MatcherChoice> {
  if (config.engine.kind === 'local') return { matcher: new LocalFaceMatcher(engine, gallery) };
  const collectionId = config.aws.collectionId;
  if (!collectionId) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_REKOGNITION_COLLECTION is required when FACEGATE_ENGINE=rekognition',
    );
  }
  const [{ REKOGNITION_SIMILARITY }, { RemoteCollectionMatcher }] = await Promise.all([
    import('../aws/rekognition/rekognition-thresholds.js'),
    import('../services/remote-collection-matcher.js'),
  ]);
  const remote = given ?? (await rekognitionMatcher(config.aws.region, collectionId));
  await remote.ensureGallery();
  const matcher = new RemoteCollectionMatcher(remote, {
    limits: config.engine,
    hasFaces: async (employeeId) => (await store.templates.listByEmployee(employeeId)).length > 0,
    version: REKOGNITION_ENGINE.version,
  });
  return {
    matcher,
    thresholds: (_model, preset) => REKOGNITION_SIMILARITY[preset] / 100,
  };
}

/**
 * The Face Liveness sessions behind `FACEGATE_LIVENESS_PROVIDER=rekognition` (the given ones, else Rekognition and
 * STS clients of the configured region, their SDKs loaded only here); undefined for any other provider.
 */
export async function openLivenessSessions(
  config: FacegateConfig,
  given?: LivenessSessions,
): Promise<LivenessSessions | undefined> {
  if (config.aws.livenessProvider !== 'rekognition') return undefined;
  if (given) return given;
  const { streamingRoleArn, kmsKeyId } = config.aws.faceLiveness;
  if (!streamingRoleArn) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_LIVENESS_STREAMING_ROLE_ARN is required when FACEGATE_LIVENESS_PROVIDER=rekognition',
    );
  }
  const [{ RekognitionClient }, { STSClient }, { RekognitionLivenessSessions }] = await Promise.all([
    import('@aws-sdk/client-rekognition'),
    import('@aws-sdk/client-sts'),
    import('../aws/rekognition/rekognition-liveness-sessions.js'),
  ]);
  const { region } = config.aws;
  return new RekognitionLivenessSessions({
    rekognition: new RekognitionClient({ region }),
    sts: new STSClient({ region }),
    region,
    streamingRoleArn,
    ...(kmsKeyId ? { kmsKeyId } : {}),
  });
}

/**
 * The validation bucket of the upload flow (`FACEGATE_VALIDATION_BUCKET`), only where photos live in S3: signed
 * with the same S3 settings (endpoint, credentials) as the photo store. Absent otherwise.
 */
export function createProbeUploads(config: FacegateConfig): ProbeUploads | undefined {
  const bucket = config.aws.validationBucket;
  if (config.blobs.kind !== 's3' || !bucket) return undefined;
  const { s3 } = config.blobs;
  return new S3ProbeUploads({
    client: createS3Client(s3),
    bucket,
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    maxBytes: config.engine.maxImageBytes,
  });
}

/** The data at rest without an engine: cipher, store and photo store (key rotation, account commands). */
/** The SMTP mailer of invitation links when `FACEGATE_SMTP_URL` is set (validated by the configuration), else none. */
export function createInvitationMailer(config: FacegateConfig): InvitationMailer | undefined {
  const { smtpUrl, from, publicUrl } = config.mail;
  if (!smtpUrl || !from) return undefined;
  return new SmtpInvitationMailer({ url: smtpUrl, from, publicUrl });
}

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

/** Which Argon2id implementation hashes passwords, PINs and recovery codes; see {@link openPasswordHasher}. */
export type PasswordHasherChoice = 'native' | 'wasm';

/**
 * The password hasher: the native `@node-rs/argon2` when it loads and runs here, else the WebAssembly one
 * (`wasm` asks for that directly: the Lambda bundle carries no native binary). Both read each other's hashes.
 */
export async function openPasswordHasher(
  choice: PasswordHasherChoice | undefined,
  logger: ServiceLogger,
): Promise<PasswordHasher> {
  if (choice !== 'wasm') {
    try {
      const { nativePasswordHasher } = await import('../auth/native-password-hasher.js');
      return await nativePasswordHasher();
    } catch (error) {
      if (choice === 'native') throw error;
      logger.warn(
        { err: String(error) },
        'native Argon2id is not available here; hashing passwords in WebAssembly',
      );
    }
  }
  return loadWasmPasswordHasher();
}
