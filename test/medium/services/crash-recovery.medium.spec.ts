import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore, SQLITE_FILE } from '../../../src/app/adapters.js';
import { createDataCipher } from '../../../src/crypto/data-cipher.js';
import { faceCrops, transform } from '../../fixtures/sample-faces.js';
import { listFiles, testConfig } from './service-test-kit.js';

/**
 * The crash test: a `facegate enroll DIR` child process is killed with SIGKILL mid-import; the data directory must
 * then be consistent (after the start-up sweep: no orphan photo, no template without its photo, no employee without
 * a template) and re-running the import must complete it without duplicates.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
let photos: string;
let dataDir: string;

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, FACEGATE_DATA_DIR: dataDir, FACEGATE_ENV: 'test', FACEGATE_ENGINE_WORKERS: '0' },
    // own process group, so the kill reaches the whole tree
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

function inspect() {
  const db = new BetterSqlite3(join(dataDir, SQLITE_FILE), { readonly: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      employees: count('SELECT count(*) AS n FROM employees'),
      templates: count('SELECT count(*) AS n FROM face_templates'),
      distinctPhotos: count('SELECT count(DISTINCT source_hash) AS n FROM face_templates'),
      employeesWithoutTemplates: count(
        'SELECT count(*) AS n FROM employees e WHERE NOT EXISTS (SELECT 1 FROM face_templates t WHERE t.employee_id = e.id)',
      ),
      photoKeys: (
        db.prepare('SELECT photo_key AS k FROM face_templates').all() as Array<{ k: string | null }>
      ).map((r) => r.k),
    };
  } finally {
    db.close();
  }
}

async function blobObjects(): Promise<string[]> {
  const files = await listFiles(join(dataDir, 'blobs')).catch(() => []);
  return files.map((f) => basename(f)).filter((name) => /^[0-9a-f]{64}$/.test(name));
}

beforeAll(async () => {
  photos = await mkdtemp(join(tmpdir(), 'facegate-crash-photos-'));
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-crash-data-'));
  const crops = await faceCrops();
  for (const [i, crop] of crops.entries()) {
    const badge = `C${String(i + 1).padStart(2, '0')}`;
    await writeFile(join(photos, `${badge}_Crash_${crop.id.replace('-', '')}.jpg`), crop.jpeg);
    if (i % 2 === 0)
      await writeFile(
        join(photos, `${badge}_Crash_${crop.id.replace('-', '')}_2.jpg`),
        await transform(crop.jpeg, 'flip'),
      );
  }
});

afterAll(async () => {
  await rm(photos, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('crash during a bulk import', () => {
  it('stays consistent after SIGKILL, and a re-run completes the import without duplicates', async () => {
    const child = cli(['enroll', photos]);
    const exit = exited(child);
    let enrolled = 0;
    let stderr = '';
    let killed = false;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      enrolled = (stderr.match(/^enroll \d+\/\d+ enrolled /gm) ?? []).length;
      // Some employees are committed and the import is still running: pull the plug.
      if (enrolled >= 3 && !killed) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    const result = await exit;
    expect(result.signal, `child exited on its own:\n${stderr}`).toBe('SIGKILL');

    const afterCrash = inspect();
    expect(afterCrash.templates).toBeGreaterThanOrEqual(3);
    expect(afterCrash.employeesWithoutTemplates).toBe(0);
    // every template's photo was written before its transaction committed
    const objects = new Set(await blobObjects());
    for (const key of afterCrash.photoKeys) expect(objects.has(key!)).toBe(true);

    // A crash between blob write and commit leaves an unreferenced photo: plant one and let start-up sweep it.
    const config = testConfig(dataDir);
    const blobs = await createBlobStore(config, await createDataCipher(config));
    const orphan = await blobs.put(new Uint8Array([1, 2, 3, 4, 5]), 'image/jpeg');
    expect(await blobs.has(orphan)).toBe(true);

    const rerun = cli(['enroll', photos, '--json']);
    let stdout = '';
    rerun.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    rerun.stderr!.resume();
    const second = await exited(rerun);
    expect(second.code, stdout).toBe(0);
    const summary = JSON.parse(stdout) as {
      files: number;
      photosAdded: number;
      alreadyEnrolled: number;
      rejected: number;
    };
    expect(summary.files).toBe(18);
    expect(summary.alreadyEnrolled).toBe(afterCrash.templates);
    expect(summary.photosAdded).toBeGreaterThan(0);

    const final = inspect();
    expect(final.templates).toBe(summary.photosAdded + summary.alreadyEnrolled);
    expect(final.distinctPhotos).toBe(final.templates);
    expect(final.employeesWithoutTemplates).toBe(0);
    expect(await blobs.has(orphan)).toBe(false);
    const finalObjects = (await blobObjects()).sort();
    expect(finalObjects).toEqual(final.photoKeys.map((k) => k!).sort());

    // A third run adds nothing.
    const third = cli(['enroll', photos, '--json']);
    let out3 = '';
    third.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out3 += chunk;
    });
    third.stderr!.resume();
    expect((await exited(third)).code).toBe(0);
    expect(JSON.parse(out3)).toMatchObject({ photosAdded: 0, employeesCreated: 0 });
    expect(inspect().templates).toBe(final.templates);
  });

  it('identify and verify from the command line answer with exit codes', async () => {
    // runs on the data directory the import above completed: C04 is the s2-0 crop
    const probe = join(photos, 'probe.jpg');
    await writeFile(probe, await transform((await faceCrops())[3]!.jpeg, 'recompress'));
    const run = async (args: string[]) => {
      const child = cli(args);
      let stdout = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr!.resume();
      const { code } = await exited(child);
      return { code, stdout };
    };
    const hit = await run(['identify', probe, '--json']);
    expect(hit.code, hit.stdout).toBe(0);
    expect(JSON.parse(hit.stdout)).toMatchObject({ decision: 'match', employee: { badge: 'C04' } });
    const wrong = await run(['verify', 'C01', probe]);
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(/^decision: {2}NO_MATCH/m);
  });
});

describe('facegate enroll --watch', () => {
  it('handles dropped files and stops cleanly on SIGTERM', async () => {
    const inbox = await mkdtemp(join(tmpdir(), 'facegate-inbox-'));
    try {
      const child = cli(['enroll', '--watch', inbox, '--interval', '50']);
      const exit = exited(child);
      let stdout = '';
      let stderr = '';
      const saw = (pattern: RegExp, stream: () => string) =>
        new Promise<void>((done, fail) => {
          const check = () => {
            if (pattern.test(stream())) done();
          };
          child.stdout!.on('data', check);
          child.stderr!.on('data', check);
          void exit.then(() => fail(new Error(`child exited early:\n${stderr}`)));
        });
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr!.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      await saw(/watching /, () => stderr);
      // a badly named file is refused without needing the face models
      await writeFile(join(inbox, 'holiday.jpg'), Buffer.from('not even an image'));
      await saw(/holiday\.jpg: rejected/, () => stdout);
      process.kill(child.pid!, 'SIGTERM');
      expect(await exit).toEqual({ code: 0, signal: null });
      expect((await readdir(join(inbox, 'rejected'))).sort()).toEqual([
        'holiday.jpg',
        'holiday.jpg.reason.txt',
      ]);
      expect(stdout).toContain('BAD_FILE_NAME');
    } finally {
      await rm(inbox, { recursive: true, force: true });
    }
  });
});
