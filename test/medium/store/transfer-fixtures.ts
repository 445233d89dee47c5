import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EncryptedBlobStore } from '../../../src/blobs/encrypted-blob-store.js';
import { FsBlobStore } from '../../../src/blobs/fs-blob-store.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../../src/store/store.port.js';
import type { StoreTransfer } from '../../../src/store/store-transfer.port.js';
import type { ArchiveManifest, TransferEnd } from '../../../src/store/transfer/archive-manifest.js';
import { TEST_DATABASE_URL, TestSchema } from './postgres-harness.js';
import { template } from './store-fixtures.js';

// The two ends of a move on the real stores (no engine), and a source holding rows in every table, shared by
// the transfer suites.

/** The data key of every end. */
export const transferCipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);

/** One end of a move: the store, its raw photo objects and the encrypting view over them. */
export interface End extends TransferEnd {
  store: Store & { transfer: StoreTransfer };
  blobs: EncryptedBlobStore;
  /** The SQLite database file (SQLite ends only). */
  file?: string;
}

/** Creates ends under `work`; `cleanups` collects what the caller runs after each test. */
export class Ends {
  constructor(
    private readonly work: () => string,
    private readonly cleanups: Array<() => Promise<void>>,
  ) {}

  async sqlite(options: { busyTimeoutMs?: number } = {}): Promise<End> {
    const dir = await mkdtemp(join(this.work(), 'sqlite-'));
    const file = join(dir, 'facegate.db');
    const store = SqliteStore.open(file, transferCipher, options);
    this.cleanups.push(() => store.close());
    return { ...end(store, new FsBlobStore(join(dir, 'blobs'))), file };
  }

  async postgres(): Promise<End> {
    const schema = await new TestSchema().create();
    const store = await PostgresStore.open(
      { connectionString: TEST_DATABASE_URL, schema: schema.name },
      transferCipher,
    );
    this.cleanups.push(() => schema.drop());
    this.cleanups.push(() => store.close());
    return end(store, new FsBlobStore(await mkdtemp(join(this.work(), 'pg-blobs-'))));
  }
}

function end(store: SqliteStore | PostgresStore, photos: FsBlobStore): End {
  return {
    storeKind: store.kind,
    transfer: store.transfer,
    photos,
    cipher: transferCipher,
    store,
    blobs: new EncryptedBlobStore(photos, transferCipher),
  };
}

/** What {@link populate} made. */
export interface Populated {
  /** Zoë: two templates (one with a kept photo), a pending self-service submission with one capture. */
  employeeId: string;
  /** Åsa: no template, no photo. */
  otherId: string;
  photo: Uint8Array;
  photoKey: string;
  captureKey: string;
}

/**
 * Rows in every table, with the awkward values: unicode, case, nulls, floats, bytes, numbers of the audit. Two
 * photo objects are named by rows (a template's photo, a submission's capture); a third is named by none.
 */
export async function populate(source: End): Promise<Populated> {
  const { store } = source;
  const photo = randomBytes(2048);
  const photoKey = await source.blobs.put(photo, 'image/jpeg');
  const captureKey = await source.blobs.put(randomBytes(100), 'image/jpeg');
  await source.blobs.put(randomBytes(50), 'image/jpeg'); // an orphan: no row names it
  const zoe = await store.employees.create({
    badge: 'e-1',
    firstName: 'Zoë',
    lastName: 'Nguyễn',
    email: 'z@x.io',
  });
  const other = await store.employees.create({
    badge: 'E-2',
    firstName: 'Åsa',
    lastName: "O'Brien",
    department: null,
  });
  await store.employees.update(zoe.id, { status: 'suspended' });
  await store.templates.add(zoe.id, template(1, { photoKey, photoContentType: 'image/jpeg' }));
  await store.templates.add(zoe.id, template(2));
  const user = await store.users.create({
    id: 'u-1',
    username: 'Admin',
    passwordHash: '$argon2id$v=19$…',
    role: 'admin',
    disabled: false,
    totpSecret: 'JBSWY3DPEHPK3PXP',
  });
  await store.sessions.create({
    id: 's-1',
    userId: user.id,
    csrfToken: 'csrf',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2099-01-01T00:00:00.000Z',
  });
  await store.apiKeys.create({
    id: 'k-1',
    name: 'door',
    prefix: 'fg_abc',
    secretHash: 'h',
    role: 'kiosk',
    createdBy: user.id,
  });
  await store.secondFactors?.add({
    id: 'f-1',
    subject: { type: 'employee', id: zoe.id },
    kind: 'totp',
    status: 'active',
    secret: 'GEZDGNBV',
  });
  await store.secondFactors?.add({
    id: 'f-2',
    subject: { type: 'user', id: user.id },
    kind: 'pin',
    status: 'pending',
    secretHash: 'p',
  });
  for (let i = 0; i < 7; i++) {
    await store.audit.append({
      action: i % 2 ? 'authenticate' : 'enroll',
      outcome: 'match',
      actorType: 'api_key',
      actorId: 'k-1',
      employeeId: zoe.id,
      score: 0.1 + 0.2 * i,
      threshold: 1 / 3,
      durationMs: 12.345678901234 * i,
      details: { i, note: 'ünïcode' },
    });
  }
  await store.audit.deleteOlderThan('0000'); // nothing: numbers stay 1..7
  await store.lockouts.put({
    subject: 'login:admin|10.0.0.1',
    consecutiveFailures: 2,
    totalFailures: 5,
    lockedUntil: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  await store.settings.set('thresholdPreset', 'strict');
  await store.settings.set('lockout', { threshold: 4, nested: [1, 2.5, null] });
  await store.kioskPairings.create({
    codeHash: 'ph',
    name: 'kiosk',
    allowPhotoUpload: true,
    createdBy: user.id,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2099-01-01T00:00:00.000Z',
  });
  await addSubmission(store, zoe.id, [captureKey]);
  return { employeeId: zoe.id, otherId: other.id, photo, photoKey, captureKey };
}

/** A self-service invitation of the employee and a pending submission holding the given captures. */
async function addSubmission(store: Store, employeeId: string, photoKeys: string[]): Promise<void> {
  if (!store.invitations || !store.enrolmentSubmissions) throw new Error('the SQL stores have invitations');
  await store.invitations.create({
    id: 'inv-1',
    employeeId,
    tokenHash: 'token-hash',
    createdBy: 'u-1',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2099-01-01T00:00:00.000Z',
  });
  await store.enrolmentSubmissions.create({
    id: 'sub-1',
    invitationId: 'inv-1',
    employeeId,
    status: 'pending',
    checks: {
      liveness: { outcome: 'passed', checks: [] },
      photos: [{ accepted: true, reasons: [] }],
      duplicate: null,
      consistency: null,
    },
    consentVersion: 'v1',
    photoKeys,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
}

/** The archive's manifest, unchecked. */
export async function manifestOf(dir: string): Promise<ArchiveManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ArchiveManifest;
}
