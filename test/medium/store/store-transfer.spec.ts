import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoreTransfer } from '../../../src/store/store-transfer.port.js';
import { type ArchiveManifest, sealManifest } from '../../../src/store/transfer/archive-manifest.js';
import { exportArchive } from '../../../src/store/transfer/export-archive.js';
import { importArchive } from '../../../src/store/transfer/import-archive.js';
import { requirePostgres } from './postgres-harness.js';
import { codeOf, embedding } from './store-fixtures.js';
import { transferCipher as cipher, Ends, manifestOf, populate } from './transfer-fixtures.js';

// The archive behind `facegate export` / `import`, on the stores themselves (no engine): SQLite ↔ PostgreSQL both
// ways with equal hashes, numbering going on after the import, and the restart and refusal rules.

let work: string;
const cleanups: Array<() => Promise<void>> = [];
const ends = new Ends(() => work, cleanups);

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

const sqliteEnd = () => ends.sqlite();
const postgresEnd = () => ends.postgres();

describe('store transfer archive', () => {
  it('SQLite → PostgreSQL → SQLite keeps every row and object, byte for byte', async () => {
    const source = await sqliteEnd();
    const { employeeId, photo } = await populate(source);
    const first = join(work, 'first');
    const exported = await exportArchive({ ...source, blobsKind: 'fs' }, first);
    expect(exported.tables.find((t) => t.name === 'audit_events')?.rows).toBe(7);
    // The photo of the template and the capture of the submission; not the object no row names.
    expect(exported.blobs).toMatchObject({ count: 2, missing: 0 });

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
