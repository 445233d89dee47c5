import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EncryptedBlobStore } from '../../../src/blobs/encrypted-blob-store.js';
import { FsBlobStore } from '../../../src/blobs/fs-blob-store.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../../src/store/store.port.js';
import type { StoreTransfer } from '../../../src/store/store-transfer.port.js';
import {
  type ArchiveManifest,
  sealManifest,
  type TransferEnd,
} from '../../../src/store/transfer/archive-manifest.js';
import { exportArchive } from '../../../src/store/transfer/export-archive.js';
import { importArchive } from '../../../src/store/transfer/import-archive.js';
import { requirePostgres, TEST_DATABASE_URL, TestSchema } from './postgres-harness.js';
import { codeOf, embedding, template } from './store-fixtures.js';

// The archive behind `facegate export` / `import`, on the stores themselves (no engine): SQLite ↔ PostgreSQL both
// ways with equal hashes, numbering going on after the import, and the restart and refusal rules.

const cipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);
let work: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await requirePostgres();
  work = await mkdtemp(join(tmpdir(), 'facegate-transfer-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface End extends TransferEnd {
  store: Store & { transfer: StoreTransfer };
  blobs: EncryptedBlobStore;
}

async function sqliteEnd(): Promise<End> {
  const dir = await mkdtemp(join(work, 'sqlite-'));
  const store = SqliteStore.open(join(dir, 'facegate.db'), cipher);
  const photos = new FsBlobStore(join(dir, 'blobs'));
  cleanups.push(() => store.close());
  return end(store, photos);
}

async function postgresEnd(): Promise<End> {
  const schema = await new TestSchema().create();
  const store = await PostgresStore.open(
    { connectionString: TEST_DATABASE_URL, schema: schema.name },
    cipher,
  );
  cleanups.push(() => schema.drop());
  cleanups.push(() => store.close());
  return end(store, new FsBlobStore(await mkdtemp(join(work, 'pg-blobs-'))));
}

function end(store: SqliteStore | PostgresStore, photos: FsBlobStore): End {
  return {
    storeKind: store.kind,
    transfer: store.transfer,
    photos,
    cipher,
    store,
    blobs: new EncryptedBlobStore(photos, cipher),
  };
}

/** Rows in every table, with the awkward values: unicode, case, nulls, floats, bytes, numbers of the audit. */
async function populate(source: End): Promise<{ employeeId: string; photo: Uint8Array }> {
  const { store } = source;
  const photo = randomBytes(2048);
  const photoKey = await source.blobs.put(photo, 'image/jpeg');
  await source.blobs.put(randomBytes(100), 'image/jpeg');
  const zoe = await store.employees.create({
    badge: 'e-1',
    firstName: 'Zoë',
    lastName: 'Nguyễn',
    email: 'z@x.io',
  });
  await store.employees.create({ badge: 'E-2', firstName: 'Åsa', lastName: "O'Brien", department: null });
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
  return { employeeId: zoe.id, photo };
}

async function manifestOf(dir: string): Promise<ArchiveManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ArchiveManifest;
}

describe('store transfer archive', () => {
  it('SQLite → PostgreSQL → SQLite keeps every row and object, byte for byte', async () => {
    const source = await sqliteEnd();
    const { employeeId, photo } = await populate(source);
    const first = join(work, 'first');
    const exported = await exportArchive({ ...source, blobsKind: 'fs' }, first);
    expect(exported.tables.find((t) => t.name === 'audit_events')?.rows).toBe(7);

    const pg = await postgresEnd();
    const report = await importArchive(pg, first);
    expect(report).toMatchObject({
      ok: true,
      alreadyImported: false,
      blobs: { expected: 2, present: 2, matching: 2 },
    });
    // Decrypted through the target's repositories: same ids, same AAD, same keys.
    const [withPhoto] = (await pg.store.templates.listByEmployee(employeeId)).filter((t) => t.photoKey);
    expect(Array.from(withPhoto?.embedding ?? [])).toEqual(Array.from(embedding(1)));
    expect(Buffer.from((await pg.blobs.get(withPhoto?.photoKey ?? '')) ?? [])).toEqual(Buffer.from(photo));
    expect((await pg.store.users.get('u-1'))?.totpSecret).toBe('JBSWY3DPEHPK3PXP');
    expect((await pg.store.templates.findBySourceHash('hash-2'))?.employeeId).toBe(employeeId);
    // Numbering goes on after the imported audit numbers.
    await pg.store.audit.append({ action: 'after', outcome: 'ok', actorType: 'system' });
    const page = await pg.store.audit.query({ limit: 1 });
    expect(page.items[0]?.action).toBe('after');

    const second = join(work, 'second');
    await exportArchive({ ...pg, blobsKind: 'fs' }, second);
    const back = await sqliteEnd();
    const third = await importArchive(back, second);
    expect(third.ok).toBe(true);
    const [a, b] = [await manifestOf(first), await manifestOf(second)];
    const audit = (m: ArchiveManifest) =>
      m.tables.filter((t) => t.name !== 'audit_events').map((t) => t.sha256);
    expect(audit(b)).toEqual(audit(a)); // the appended audit row is the only difference
    expect(b.blobs.sha256).toBe(a.blobs.sha256);
    await back.store.audit.append({ action: 'again', outcome: 'ok', actorType: 'system' });
    expect((await back.store.audit.query({ limit: 1 })).items[0]?.action).toBe('again');
  });

  it('an import stopped half-way leaves no rows and completes when run again; a finished one only verifies', async () => {
    const source = await sqliteEnd();
    await populate(source);
    const dir = join(work, 'restart');
    await exportArchive({ ...source, blobsKind: 'fs' }, dir);
    const target = await postgresEnd();
    const failing: StoreTransfer = {
      ...target.transfer,
      schemaVersion: () => target.transfer.schemaVersion(),
      countRows: (t) => target.transfer.countRows(t),
      readRows: (t, n) => target.transfer.readRows(t, n),
      load: (fn) =>
        target.transfer.load(async (write) => {
          let tables = 0;
          await fn(async (table, rows) => {
            if (++tables > 3) throw new Error('killed');
            await write(table, rows);
          });
        }),
    };
    await expect(importArchive({ ...target, transfer: failing }, dir)).rejects.toThrow('killed');
    expect(await target.store.employees.count()).toBe(0);
    const photos: string[] = [];
    for await (const key of target.photos.list()) photos.push(key);
    expect(photos).toHaveLength(2); // objects went first; they are the archive's own

    expect(await importArchive(target, dir)).toMatchObject({ ok: true, alreadyImported: false });
    expect(await importArchive(target, dir)).toMatchObject({ ok: true, alreadyImported: true });
  });

  it('refuses a target with rows or objects of its own, and an archive of another schema version', async () => {
    const source = await sqliteEnd();
    await populate(source);
    const dir = join(work, 'refusals');
    await exportArchive({ ...source, blobsKind: 'fs' }, dir);

    const withRows = await sqliteEnd();
    await withRows.store.settings.set('other', 1);
    expect(await codeOf(importArchive(withRows, dir))).toBe('TARGET_NOT_EMPTY');
    const withObjects = await sqliteEnd();
    await withObjects.blobs.put(randomBytes(10), 'image/jpeg');
    expect(await codeOf(importArchive(withObjects, dir))).toBe('TARGET_NOT_EMPTY');
    expect(await withObjects.store.employees.count()).toBe(0);

    const { mac: _, ...body } = await manifestOf(dir);
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify(sealManifest({ ...body, schemaVersion: 99 }, cipher)),
    );
    expect(await codeOf(importArchive(await sqliteEnd(), dir))).toBe('ARCHIVE_INVALID');
    expect(await codeOf(exportArchive({ ...source, blobsKind: 'fs' }, dir))).toBe('CONFLICT');
  });
});
