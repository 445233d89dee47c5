import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../domain/access.js';
import { planImport, rejectionReportCsv, runImport } from './bulk-import.js';
import { EnrollmentService } from './enrollment.service.js';
import { fakeDeps, vec } from './testing/fake-ports.js';
import { FolderWatcher, type WatchOutcome } from './watch-folder.js';

const cli: Actor = { type: 'cli', id: 'tester' };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('planImport + runImport', () => {
  it('imports by file names, groups photos per employee, is idempotent, and reports rejections', async () => {
    const deps = fakeDeps();
    const enrollment = new EnrollmentService(deps);
    const put = async (name: string, face: Parameters<typeof deps.engine.define>[1]) =>
      writeFile(join(dir, name), deps.engine.define(name, face));
    await put('E1_Ann_Lee.jpg', { embedding: vec(0) });
    await put('E1_Ann_Lee_2.jpg', { embedding: vec(0, 0.1) });
    await put('E2_Bo_Ek.jpg', 'NO_FACE');
    await put('E3_Cy_Ho.jpg', { embedding: vec(2), issues: ['LOW_SHARPNESS'] });
    await put('E3_Cy_Ho_2.jpg', { embedding: vec(2) });
    await put('junk.jpg', { embedding: vec(3) });
    await writeFile(join(dir, 'notes.txt'), 'ignored');

    const plan = await planImport(dir);
    expect(plan.source).toBe('filenames');
    expect(plan.entries).toHaveLength(5);
    const progress: number[] = [];
    const first = await runImport(enrollment, dir, plan, cli, { onProgress: (done) => progress.push(done) });
    expect(first).toMatchObject({
      files: 6,
      employeesCreated: 2,
      photosAdded: 3,
      rejected: 3,
      alreadyEnrolled: 0,
    });
    expect(progress.at(-1)).toBe(6);
    expect(deps.store.state.employees.size).toBe(2);

    const report = rejectionReportCsv(first.rows);
    const lines = report.trim().split('\n');
    expect(lines[0]).toBe('file,badge,first_name,last_name,codes,messages');
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(['E2_Bo_Ek.jpg', 'E3_Cy_Ho.jpg', 'junk.jpg']);
    expect(report).toContain('NO_FACE');
    expect(report).toContain('LOW_SHARPNESS');
    expect(report).toContain('BAD_FILE_NAME');

    const second = await runImport(enrollment, dir, await planImport(dir), cli);
    expect(second).toMatchObject({ employeesCreated: 0, photosAdded: 0, alreadyEnrolled: 3, rejected: 3 });
    expect(deps.store.state.templates.size).toBe(3);
  });

  it('imports from manifest.csv with quoted unicode fields and refuses paths outside the folder', async () => {
    const deps = fakeDeps();
    const enrollment = new EnrollmentService(deps);
    await writeFile(join(dir, 'a.jpg'), deps.engine.define('a', { embedding: vec(0) }));
    await writeFile(join(dir, 'b.jpg'), deps.engine.define('b', { embedding: vec(1) }));
    await writeFile(
      join(dir, 'manifest.csv'),
      [
        'badge,first_name,last_name,email,department,file',
        'M1,"Zoë","Nguyễn, Jr.",zoe@example.com,"R&D",a.jpg',
        'M2,Bo,Ek,,,b.jpg',
        'M3,Eve,X,,,../etc/passwd',
        'M4,Dan,Y,,,missing.jpg',
      ].join('\r\n'),
    );
    const plan = await planImport(dir);
    expect(plan.source).toBe('manifest');
    const summary = await runImport(enrollment, dir, plan, cli);
    expect(summary).toMatchObject({ employeesCreated: 2, photosAdded: 2, rejected: 2 });
    const m1 = await deps.store.employees.getByBadge('M1');
    expect(m1).toMatchObject({
      firstName: 'Zoë',
      lastName: 'Nguyễn, Jr.',
      email: 'zoe@example.com',
      department: 'R&D',
    });
    expect(summary.rows.find((r) => r.file === '../etc/passwd')?.reasons[0]?.code).toBe('BAD_MANIFEST');
    expect(summary.rows.find((r) => r.file === 'missing.jpg')?.reasons[0]?.code).toBe('FILE_UNREADABLE');
  });

  it('with several photos in flight, commits in plan order with the outcomes of one employee at a time', async () => {
    const folder = async (deps: ReturnType<typeof fakeDeps>) => {
      const put = async (name: string, label: string, face: Parameters<typeof deps.engine.define>[1]) =>
        writeFile(join(dir, name), deps.engine.define(label, face));
      await put('E1_Ann_Lee.jpg', 'ann', { embedding: vec(0) });
      await put('E1_Ann_Lee_2.jpg', 'ann2', { embedding: vec(0, 0.1) });
      // the same bytes as E1's first photo, for another badge: refused as an exact copy
      await put('E2_Bo_Ek.jpg', 'ann', { embedding: vec(0) });
      // a look-alike of E1 for another badge: refused as a duplicate face
      await put('E3_Cy_Ho.jpg', 'cy', { embedding: vec(0, 0.05) });
      await put('E4_Di_Wu.jpg', 'di', { embedding: vec(1) });
      await put('E4_Di_Wu_2.jpg', 'di2', { embedding: vec(3) });
      await put('E5_Ed_Po.jpg', 'ed', 'NO_FACE');
      await put('E6_Fa_Qi.jpg', 'fa', { embedding: vec(2) });
    };
    const run = async (inFlight: number) => {
      await rm(dir, { recursive: true, force: true });
      dir = await mkdtemp(join(tmpdir(), 'facegate-import-'));
      const deps = fakeDeps();
      await folder(deps);
      // Earlier photos take longer, so a pipelined import sees later employees' analyses finish first.
      const analyze = deps.engine.analyze.bind(deps.engine);
      let order = 10;
      deps.engine.analyze = async (image) => {
        await new Promise((r) => setTimeout(r, 2 * order--));
        return analyze(image);
      };
      const progress: string[] = [];
      const summary = await runImport(new EnrollmentService(deps), dir, await planImport(dir), cli, {
        inFlight,
        onProgress: (_d, _t, rows) => progress.push(...rows.map((r) => r.file)),
      });
      const outcome = summary.rows.map((r) => [r.file, r.accepted, r.reasons.map((x) => x.message).join()]);
      const badges = [...deps.store.state.employees.values()].map((e) => e.badge);
      return { summary: { ...summary, rows: outcome }, progress, badges };
    };
    const sequential = await run(1);
    const pipelined = await run(8);
    expect(pipelined).toEqual(sequential);
    expect(sequential.badges).toEqual(['E1', 'E4', 'E6']);
    expect(sequential.summary.rows).toContainEqual([
      'E2_Bo_Ek.jpg',
      false,
      'This exact photo is already enrolled for employee E1',
    ]);
    expect(sequential.summary.rows).toContainEqual([
      'E3_Cy_Ho.jpg',
      false,
      expect.stringMatching(/^Face matches employee E1/),
    ]);
    expect(sequential.summary.rows).toContainEqual(['E4_Di_Wu_2.jpg', true, '']);
  });

  it('reports a manifest without the required columns', async () => {
    await writeFile(join(dir, 'manifest.csv'), 'badge,name\nB1,Ann\n');
    const plan = await planImport(dir);
    expect(plan.problems).toEqual([expect.objectContaining({ code: 'BAD_MANIFEST' })]);
  });
});

describe('FolderWatcher', () => {
  it('enrolls stable files, moving them to processed/ or rejected/ with a reason file', async () => {
    const deps = fakeDeps();
    await writeFile(join(dir, 'E1_Ann_Lee.jpg'), deps.engine.define('E1', { embedding: vec(0) }));
    await writeFile(join(dir, 'E2_Bo_Ek.jpg'), deps.engine.define('E2', 'NO_FACE'));
    await writeFile(join(dir, 'whatever.jpg'), deps.engine.define('W', { embedding: vec(2) }));
    const outcomes: WatchOutcome[] = [];
    const w = new FolderWatcher(new EnrollmentService(deps), dir, {
      actor: cli,
      onOutcome: (o) => outcomes.push(o),
    });
    // the first scan only records sizes; the second handles files whose size did not change
    expect(await w.scanOnce()).toBe(0);
    expect(await w.scanOnce()).toBe(3);
    expect(await readdir(join(dir, 'processed'))).toEqual(['E1_Ann_Lee.jpg']);
    expect((await readdir(join(dir, 'rejected'))).sort()).toEqual([
      'E2_Bo_Ek.jpg',
      'E2_Bo_Ek.jpg.reason.txt',
      'whatever.jpg',
      'whatever.jpg.reason.txt',
    ]);
    expect(await readFile(join(dir, 'rejected', 'E2_Bo_Ek.jpg.reason.txt'), 'utf8')).toMatch(/^NO_FACE: /);
    expect(outcomes.map((o) => o.accepted).sort()).toEqual([false, false, true]);
    expect(await deps.store.employees.getByBadge('E1')).toMatchObject({ firstName: 'Ann', lastName: 'Lee' });
  });

  it('runs until stopped, picking up files dropped later', async () => {
    const deps = fakeDeps();
    let seen!: (o: WatchOutcome) => void;
    const first = new Promise<WatchOutcome>((r) => {
      seen = r;
    });
    const w = new FolderWatcher(new EnrollmentService(deps), dir, {
      actor: cli,
      intervalMs: 5,
      onOutcome: (o) => seen(o),
    });
    const running = w.run();
    await writeFile(join(dir, 'E5_Di_Wu.jpg'), deps.engine.define('E5', { embedding: vec(1) }));
    const outcome = await first;
    await w.stop();
    await running;
    expect(outcome).toMatchObject({ file: 'E5_Di_Wu.jpg', accepted: true, badge: 'E5' });
    expect(await readdir(dir)).not.toContain('E5_Di_Wu.jpg');
  });
});
