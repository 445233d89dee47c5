import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFacegateError } from '../../../src/domain/errors.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import {
  type StoreTransfer,
  TRANSFER_TABLES,
  type TransferReader,
  type TransferRow,
  type TransferTable,
} from '../../../src/store/store-transfer.port.js';
import { exportArchive } from '../../../src/store/transfer/export-archive.js';
import { importArchive } from '../../../src/store/transfer/import-archive.js';
import { digestTable } from '../../../src/store/transfer/table-digest.js';
import { requirePostgres } from './postgres-harness.js';
import { codeOf, template } from './store-fixtures.js';
import { type End, Ends, manifestOf, populate, transferCipher } from './transfer-fixtures.js';

// `facegate export` while the store is written, on both SQL stores: every table comes from one snapshot even when
// employees are added, changed and erased between the reads of two tables; and an export whose snapshot holds a
// person or photo removed before the archive is sealed fails with SOURCE_CHANGED and keeps nothing.

let work: string;
const cleanups: Array<() => Promise<void>> = [];
const ends = new Ends(() => work, cleanups);

beforeAll(async () => {
  await requirePostgres();
  work = await mkdtemp(join(tmpdir(), 'facegate-snapshot-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Kind = 'sqlite' | 'postgres';
const KINDS: Kind[] = ['sqlite', 'postgres'];

/**
 * A store of the kind. SQLite: an erasure's checkpoint waits for the export's open snapshot, here in the same
 * thread (so for the whole busy timeout); a short timeout keeps the test quick, the outcome is the same.
 */
function endOf(kind: Kind): Promise<End> {
  return kind === 'sqlite' ? ends.sqlite({ busyTimeoutMs: 100 }) : ends.postgres();
}

/**
 * The end with a snapshot reader that runs `during` once, just before it reads `table`: after every table before
 * it was read from the snapshot. Returns how many times `during` ran, and the reader for a use after the snapshot.
 */
function writesBefore(source: End, table: string, during: () => Promise<void>) {
  const real = source.transfer;
  const seen = { runs: 0, reader: undefined as TransferReader | undefined };
  async function* rows(reader: TransferReader, t: TransferTable, n: number): AsyncIterable<TransferRow[]> {
    if (t.name === table && seen.runs++ === 0) await during();
    yield* reader.readRows(t, n);
  }
  const transfer: StoreTransfer = {
    schemaVersion: () => real.schemaVersion(),
    countRows: (t) => real.countRows(t),
    readRows: (t, n) => real.readRows(t, n),
    load: (fn) => real.load(fn),
    snapshot: (fn) =>
      real.snapshot((reader) => {
        seen.reader = reader;
        return fn({
          schemaVersion: () => reader.schemaVersion(),
          countRows: (t) => reader.countRows(t),
          readRows: (t, n) => rows(reader, t, n),
        });
      }),
  };
  return { end: { ...source, transfer, blobsKind: 'fs' }, seen };
}

/** Every table's row count and content hash, read live: what an archive of this moment must state. */
async function digests(source: End): Promise<Array<[string, number, string]>> {
  const out: Array<[string, number, string]> = [];
  for (const table of TRANSFER_TABLES) {
    const { rows, sha256 } = await digestTable(source.transfer, table);
    out.push([table.name, rows, sha256]);
  }
  return out;
}

/** An employee with one template whose photo is kept. */
async function enrolled(source: End, badge: string, seed: number): Promise<{ id: string; photoKey: string }> {
  const employee = await source.store.employees.create({
    badge,
    firstName: 'Late',
    lastName: `Comer ${seed}`,
  });
  const photoKey = await source.blobs.put(randomBytes(300), 'image/jpeg');
  await source.store.templates.add(employee.id, template(seed, { photoKey, photoContentType: 'image/jpeg' }));
  return { id: employee.id, photoKey };
}

/** Erases an employee in ErasureService's order: rows and audit in one transaction, then the photos none names. */
async function erase(source: End, employeeId: string): Promise<void> {
  const keys = await source.store.transaction(async (tx) => {
    const templates = await tx.templates.listByEmployee(employeeId);
    const captures = (await tx.enrolmentSubmissions?.listPhotoKeys(employeeId)) ?? [];
    for (const t of templates) await tx.templates.delete(t.id);
    await tx.employees.delete(employeeId);
    await tx.audit.append({ action: 'employee.delete', outcome: 'success', actorType: 'system', employeeId });
    return [...templates.flatMap((t) => (t.photoKey ? [t.photoKey] : [])), ...captures];
  });
  const named = new Set([
    ...(await source.store.templates.listPhotoKeys()),
    ...((await source.store.enrolmentSubmissions?.listPhotoKeys()) ?? []),
  ]);
  for (const key of keys) if (!named.has(key)) await source.blobs.delete(key);
}

async function photoKeys(end: End): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of end.photos.list()) keys.push(key);
  return keys.sort();
}

describe.each(KINDS)('export of a running %s store', (kind) => {
  it('reads every table at one moment while employees are added, changed and erased between two tables', async () => {
    const source = await endOf(kind);
    const { employeeId, photoKey, captureKey } = await populate(source);
    const atSnapshot = await digests(source);
    const { end, seen } = writesBefore(source, 'face_templates', async () => {
      // Read without the snapshot, this template would be archived without its employee row.
      await enrolled(source, 'LATE-1', 7);
      await source.store.employees.update(employeeId, { department: 'Moved' });
      // Enrolled and erased while the export runs: neither the person nor the photo may reach the archive.
      const brief = await enrolled(source, 'BRIEF-1', 8);
      await erase(source, brief.id);
      await source.store.settings.set('thresholdPreset', 'lenient');
    });
    const dir = join(work, `${kind}-live`);
    const report = await exportArchive(end, dir);

    expect(seen.runs).toBe(1);
    expect(await digests(source)).not.toEqual(atSnapshot); // the store did move on meanwhile
    const manifest = await manifestOf(dir);
    expect(manifest.tables.map((t) => [t.name, t.rows, t.sha256])).toEqual(atSnapshot);
    expect(report.tables.find((t) => t.name === 'employees')?.rows).toBe(2);
    expect(report.blobs).toMatchObject({ count: 2, missing: 0 });
    expect(manifest.blobs.count).toBe(2);
    // The snapshot's reader ends with it.
    const late = seen.reader?.countRows(TRANSFER_TABLES[0] as TransferTable);
    expect(isFacegateError(await late?.catch((e: unknown) => e), 'INTERNAL')).toBe(true);

    // The archive imports, checked by its counts and hashes, as the store was at the snapshot.
    const target = kind === 'sqlite' ? await ends.postgres() : await ends.sqlite();
    expect(await importArchive(target, dir)).toMatchObject({ ok: true, blobs: { expected: 2, matching: 2 } });
    expect(await target.store.employees.getByBadge('LATE-1')).toBeUndefined();
    expect(await target.store.employees.getByBadge('BRIEF-1')).toBeUndefined();
    expect((await target.store.employees.get(employeeId))?.department ?? null).toBeNull();
    expect(await target.store.settings.get('thresholdPreset')).toBe('strict');
    expect(await photoKeys(target)).toEqual([photoKey, captureKey].sort());
  });

  it('fails with SOURCE_CHANGED and keeps nothing when a person of the snapshot is erased, then runs again', async () => {
    const source = await endOf(kind);
    const { employeeId, photoKey, captureKey } = await populate(source);
    const { end } = writesBefore(source, 'face_templates', () => erase(source, employeeId));
    const dir = join(work, `${kind}-erased`);
    const error = await exportArchive(end, dir).catch((e: unknown) => e);
    expect(isFacegateError(error, 'SOURCE_CHANGED')).toBe(true);
    // Her photo and her capture were gone before the export copied them.
    expect(isFacegateError(error) && error.details).toEqual({ erasedEmployees: 1, deletedPhotos: 2 });
    expect(await readdir(dir)).toEqual([]);
    if (source.file) {
      // Once the snapshot ended, the erasure's rows were overwritten in the database file and its log.
      for (const file of [source.file, `${source.file}-wal`]) {
        const bytes = await readFile(file).catch(() => Buffer.alloc(0));
        expect(bytes.includes(Buffer.from('Nguyễn')), file).toBe(false);
      }
    }

    const again = await exportArchive({ ...source, blobsKind: 'fs' }, dir);
    expect(again.tables.find((t) => t.name === 'employees')?.rows).toBe(1);
    expect(again.blobs).toMatchObject({ count: 0, missing: 0 });
    const target = await endOf(kind === 'sqlite' ? 'postgres' : 'sqlite');
    expect(await importArchive(target, dir)).toMatchObject({ ok: true });
    expect(await target.store.employees.get(employeeId)).toBeUndefined();
    expect(await photoKeys(target)).not.toContain(photoKey);
    expect(await photoKeys(target)).not.toContain(captureKey);
  });

  it('fails with SOURCE_CHANGED for an erased person without photos and for a deleted photo of a kept person', async () => {
    const source = await endOf(kind);
    const { otherId, employeeId } = await populate(source);
    const personOnly = writesBefore(source, 'users', () => erase(source, otherId));
    const error = await exportArchive(personOnly.end, join(work, `${kind}-person`)).catch((e: unknown) => e);
    expect(isFacegateError(error, 'SOURCE_CHANGED') && error.details).toEqual({
      erasedEmployees: 1,
      deletedPhotos: 0,
    });

    // The template with the kept photo is deleted, then its photo (as deleting one template does).
    const photoOnly = writesBefore(source, 'users', async () => {
      const [kept] = (await source.store.templates.listByEmployee(employeeId)).filter((t) => t.photoKey);
      await source.store.templates.delete(kept?.id ?? '');
      await source.blobs.delete(kept?.photoKey ?? '');
    });
    const dir = join(work, `${kind}-photo`);
    const second = await exportArchive(photoOnly.end, dir).catch((e: unknown) => e);
    expect(isFacegateError(second, 'SOURCE_CHANGED') && second.details).toEqual({
      erasedEmployees: 0,
      deletedPhotos: 1,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('exports a photo that rows name but the source already lacked, and says so', async () => {
    const source = await endOf(kind);
    const { photoKey } = await populate(source);
    await source.photos.delete(photoKey);
    const dir = join(work, `${kind}-lacking`);
    const report = await exportArchive({ ...source, blobsKind: 'fs' }, dir);
    expect(report.blobs).toMatchObject({ count: 1, missing: 1 });
    expect(await importArchive(await endOf(kind), dir)).toMatchObject({ ok: true });
  });
});

it('an in-memory SQLite store has no snapshot to export', async () => {
  const store = SqliteStore.open(':memory:', transferCipher);
  try {
    expect(await codeOf(store.transfer.snapshot(async () => undefined))).toBe('CONFIG_INVALID');
  } finally {
    await store.close();
  }
});
