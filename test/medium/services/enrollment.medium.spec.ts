import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../../src/app/adapters.js';
import type { App } from '../../../src/app/composition-root.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { planImport, rejectionReportCsv, runImport } from '../../../src/services/bulk-import.js';
import { FolderWatcher, type WatchOutcome } from '../../../src/services/watch-folder.js';
import { faceCrop, groupPhoto, transform } from '../../fixtures/sample-faces.js';
import { disposeApp, listFiles, loadEngine, openApp, operator } from './service-test-kit.js';

let engine: FaceEngine;
let app: App & { dataDir: string };
const scratch: string[] = [];

beforeAll(async () => {
  engine = await loadEngine();
});
afterAll(async () => {
  await engine.close();
});
afterEach(async () => {
  if (app) await disposeApp(app);
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function enroll(badge: string, firstName: string, crops: Buffer[], force = false) {
  return app.services.enrollment.enrollByBadge(
    { badge, firstName, lastName: 'Test' },
    crops.map((bytes, i) => ({ bytes, file: `${badge}-${i}.jpg` })),
    operator,
    { force },
  );
}

describe('enrollment and identification with the real engine and SQLite', () => {
  it('identifies an enrolled person from another photo of her, and refuses an unenrolled person', async () => {
    app = await openApp(engine);
    expect((await enroll('E1', 'Ana', [await faceCrop('s1-0')])).added).toBe(1);
    expect((await enroll('E2', 'Bea', [await faceCrop('s2-0')])).added).toBe(1);
    expect((await enroll('E3', 'Cleo', [await faceCrop('s3-0')])).added).toBe(1);

    const probe = await transform(await faceCrop('s2-0'), 'flip');
    const hit = await app.services.identification.identify(probe, operator, { clientIp: '127.0.0.1' });
    expect(hit).toMatchObject({ decision: 'match', employee: { badge: 'E2', firstName: 'Bea' } });
    expect(hit.score!).toBeGreaterThanOrEqual(hit.threshold);
    expect(hit.engine).toEqual({ model: engine.info.model, version: engine.info.version });

    const stranger = await app.services.identification.identify(await faceCrop('s4-0'), operator);
    expect(stranger.decision).toBe('no_match');
    expect(stranger.employee).toBeUndefined();
    expect(stranger.reasons?.[0]?.code).toBe('NO_MATCH');

    expect((await app.services.identification.verify('E2', probe, operator)).decision).toBe('match');
    expect((await app.services.identification.verify('E1', probe, operator)).decision).toBe('no_match');

    const { items } = await app.store.audit.query({ action: 'identify' });
    expect(items.map((e) => e.outcome).sort()).toEqual(['match', 'no_match']);
    expect(items.find((e) => e.outcome === 'match')).toMatchObject({ ip: '127.0.0.1', actorType: 'cli' });
  });

  it('refuses a group photo (MULTIPLE_FACES) for enrollment and asks a kiosk to retry', async () => {
    app = await openApp(engine);
    const group = await groupPhoto(5);
    const r = await enroll('G1', 'Group', [group]);
    expect(r.employee).toBeNull();
    expect(r.photos[0]!.reasons.map((x) => x.code)).toContain('MULTIPLE_FACES');
    expect(await app.store.employees.count()).toBe(0);
    const retry = await app.services.identification.identify(group, operator);
    expect(retry.decision).toBe('retry');
    expect(retry.reasons?.map((x) => x.code)).toContain('MULTIPLE_FACES');
  });

  it('refuses the same face for another employee naming her, unless forced', async () => {
    app = await openApp(engine);
    await enroll('E1', 'Ana', [await faceCrop('s1-0')]);
    const again = await transform(await faceCrop('s1-0'), 'recompress');
    const refused = await enroll('E9', 'Impostor', [again]);
    expect(refused.employee).toBeNull();
    expect(refused.photos[0]!.reasons[0]).toMatchObject({
      code: 'DUPLICATE_FACE',
      employee: { badge: 'E1' },
    });
    expect(await app.store.employees.getByBadge('E9')).toBeUndefined();
    const forced = await enroll('E9', 'Impostor', [again], true);
    expect(forced).toMatchObject({ created: true, added: 1 });
  });

  it('never matches a suspended employee', async () => {
    app = await openApp(engine);
    await enroll('E1', 'Ana', [await faceCrop('s1-0')]);
    await enroll('E2', 'Bea', [await faceCrop('s2-0')]);
    const probe = await transform(await faceCrop('s1-0'), 'flip');
    expect((await app.services.identification.identify(probe, operator)).decision).toBe('match');
    await app.services.employees.suspend('E1', operator);
    const suspended = await app.services.identification.identify(probe, operator);
    expect(suspended.decision).toBe('no_match');
    expect(suspended.employee).toBeUndefined();
    expect(await app.services.identification.verify('E1', probe, operator)).toMatchObject({
      decision: 'no_match',
      reasons: [{ code: 'EMPLOYEE_SUSPENDED' }],
    });
    // still suspended after a restart (gallery reloaded from the store)
    await app.close();
    app = await openApp(engine, app.dataDir);
    expect((await app.services.identification.identify(probe, operator)).decision).toBe('no_match');
    await app.services.employees.reactivate('E1', operator);
    expect((await app.services.identification.identify(probe, operator)).decision).toBe('match');
  });

  it('erases an employee completely: no row, template, photo file or index entry remains', async () => {
    app = await openApp(engine);
    const ana = await enroll('E1', 'Quixotella', [
      await faceCrop('s1-0'),
      await transform(await faceCrop('s1-0'), 'flip'),
    ]);
    await enroll('E2', 'Bea', [await faceCrop('s2-0')]);
    const id = ana.employee!.id;
    const keys = (await app.store.templates.listByEmployee(id)).map((t) => t.photoKey!);
    expect(keys).toHaveLength(2);
    const blobFiles = () => listFiles(join(app.dataDir, 'blobs'));
    expect((await blobFiles()).filter((f) => keys.includes(basename(f)))).toHaveLength(2);

    const report = await app.services.erasure.deleteEmployee('E1', operator);
    expect(report).toMatchObject({
      employeeId: id,
      templatesDeleted: 2,
      photosDeleted: 2,
      galleryEntriesRemoved: 2,
    });

    expect((await blobFiles()).filter((f) => keys.some((k) => f.includes(k)))).toEqual([]);
    expect(await blobFiles()).toHaveLength(1); // Bea's photo only
    expect(app.gallery.templateCount(id)).toBe(0);
    const db = new BetterSqlite3(join(app.dataDir, SQLITE_FILE), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM employees WHERE id = ?').get(id)).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM face_templates WHERE employee_id = ?').get(id)).toEqual({
        n: 0,
      });
      expect(db.prepare('SELECT count(*) AS n FROM face_templates').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
    // nothing of her record lingers in the database files (free pages, WAL)
    const dbFiles = (await readdir(app.dataDir)).filter((f) => f.startsWith(SQLITE_FILE));
    for (const file of dbFiles) {
      const raw = await readFile(join(app.dataDir, file));
      expect(raw.includes(Buffer.from('Quixotella')), file).toBe(false);
    }
    const probe = await transform(await faceCrop('s1-0'), 'recompress');
    expect((await app.services.identification.identify(probe, operator)).decision).toBe('no_match');
    const erasure = (await app.store.audit.query({ action: 'employee.delete' })).items;
    expect(erasure).toHaveLength(1);
    expect(erasure[0]).toMatchObject({ employeeId: id, actorType: 'cli', actorId: operator.id });
    expect(JSON.stringify(erasure[0])).not.toMatch(/embedding|photoKey|sourceHash/);
  });
});

describe('bulk import and watch folder with the real engine', () => {
  async function folder(files: Record<string, Buffer>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'facegate-folder-'));
    scratch.push(dir);
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    return dir;
  }

  it('imports a folder idempotently and reports every rejected photo', async () => {
    app = await openApp(engine);
    const dir = await folder({
      'E1_Ana_Ñúñez.jpg': await faceCrop('s1-0'),
      'E1_Ana_Ñúñez_2.jpg': await transform(await faceCrop('s1-0'), 'flip'),
      'E2_Bea_Smith.jpg': await faceCrop('s2-0'),
      'E3_Group_Photo.jpg': await groupPhoto(5),
      'not-a-badge.jpg': await faceCrop('s3-0'),
    });
    const first = await runImport(app.services.enrollment, dir, await planImport(dir), operator);
    expect(first).toMatchObject({ files: 5, employeesCreated: 2, photosAdded: 3, rejected: 2 });
    expect((await app.store.employees.getByBadge('E1'))?.lastName).toBe('Ñúñez');
    const report = rejectionReportCsv(first.rows).trim().split('\n');
    expect(report).toHaveLength(3);
    expect(report.find((l) => l.startsWith('E3_Group_Photo.jpg'))).toContain('MULTIPLE_FACES');
    expect(report.find((l) => l.startsWith('not-a-badge.jpg'))).toContain('BAD_FILE_NAME');

    const second = await runImport(app.services.enrollment, dir, await planImport(dir), operator);
    expect(second).toMatchObject({ employeesCreated: 0, photosAdded: 0, alreadyEnrolled: 3 });
    expect(await app.store.templates.count()).toBe(3);
    expect(await app.store.employees.count()).toBe(2);
  });

  it('watch mode enrolls dropped files and moves them to processed/ or rejected/', async () => {
    app = await openApp(engine);
    const dir = await folder({
      'W1_Cleo_Park.jpg': await faceCrop('s3-0'),
      'W2_Group_Photo.jpg': await groupPhoto(5),
    });
    const watcher = new FolderWatcher(app.services.enrollment, dir, { actor: operator });
    await watcher.scanOnce();
    expect(await watcher.scanOnce()).toBe(2);
    expect(await readdir(join(dir, 'processed'))).toEqual(['W1_Cleo_Park.jpg']);
    expect((await readdir(join(dir, 'rejected'))).sort()).toEqual([
      'W2_Group_Photo.jpg',
      'W2_Group_Photo.jpg.reason.txt',
    ]);
    expect(await readFile(join(dir, 'rejected', 'W2_Group_Photo.jpg.reason.txt'), 'utf8')).toContain(
      'MULTIPLE_FACES',
    );
    expect(await app.store.employees.getByBadge('W1')).toMatchObject({ firstName: 'Cleo', lastName: 'Park' });
  });

  it('a long-running app watches a folder until it is closed', async () => {
    app = await openApp(engine);
    const dir = await folder({});
    let seen!: (o: WatchOutcome) => void;
    const outcome = new Promise<WatchOutcome>((done) => {
      seen = done;
    });
    app.startWatchFolder(dir, { intervalMs: 20, onOutcome: (o) => seen(o) });
    await writeFile(join(dir, 'W4_Dana_Lee.jpg'), await faceCrop('s4-0'));
    expect(await outcome).toMatchObject({ file: 'W4_Dana_Lee.jpg', accepted: true });
    expect(await readdir(join(dir, 'processed'))).toEqual(['W4_Dana_Lee.jpg']);
    const audit = (await app.store.audit.query({ action: 'enroll' })).items;
    expect(audit[0]).toMatchObject({
      actorType: 'system',
      actorId: `watch-folder:${resolve(dir)}`,
      outcome: 'success',
    });
  });
});
