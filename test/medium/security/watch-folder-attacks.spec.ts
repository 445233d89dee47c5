import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../src/app/server-lifecycle.js';
import { loadConfig } from '../../../src/config/config.js';
import { cliActor } from '../../../src/domain/access.js';
import type { FacegateError } from '../../../src/domain/errors.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import type { WatchOutcome } from '../../../src/services/watch-folder.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import { loadEngine, openApi, type TestApi } from '../api/api-test-kit.js';
import { auditOf } from './http-kit.js';

/**
 * The watch folder attacked by someone who can write into it: links planted to redirect the service's writes,
 * links dropped as photos, photos dropped for someone else's badge, and a folder others may write to.
 */

let engine: FaceEngine;
let root: string;
const open: TestApi[] = [];

beforeAll(async () => {
  engine = await loadEngine();
  root = await mkdtemp(join(tmpdir(), 'facegate-watch-attack-'));
});
afterEach(async () => {
  for (const api of open.splice(0)) await api.close();
});
afterAll(async () => {
  await engine?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

let folders = 0;
/** A fresh private folder under the test root (0700, as an operator creates it). */
async function privateFolder(name: string): Promise<string> {
  const dir = join(root, `${name}-${++folders}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** A test API watching `dir`; resolves each outcome as it comes. */
async function watching(dir: string, allowExisting = false) {
  const api = await openApi(engine, { operations: { watchAllowExisting: allowExisting } });
  open.push(api);
  const outcomes: WatchOutcome[] = [];
  const waiters: Array<() => void> = [];
  api.app.startWatchFolder(dir, {
    intervalMs: 20,
    onOutcome: (o) => {
      outcomes.push(o);
      for (const w of waiters.splice(0)) w();
    },
  });
  const outcomeOf = async (file: string): Promise<WatchOutcome> => {
    for (;;) {
      const found = outcomes.find((o) => o.file === file);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { api, outcomeOf };
}

describe('links planted in the watch folder', () => {
  it('a link at rejected/<file>.reason.txt does not redirect the reason file', async () => {
    const dir = await privateFolder('reason-link');
    const victim = join(root, 'data.key');
    await writeFile(victim, 'THE DATA KEY\n');
    await mkdir(join(dir, 'rejected'), { mode: 0o700 });
    await symlink(victim, join(dir, 'rejected', 'x.jpg.reason.txt'));
    await symlink(victim, join(dir, 'rejected', 'x.jpg'));
    const { outcomeOf } = await watching(dir);
    await writeFile(join(dir, 'x.jpg'), await faceCrop('s1-0'));
    const outcome = await outcomeOf('x.jpg');
    expect(outcome.accepted).toBe(false);
    expect(await readFile(victim, 'utf8')).toBe('THE DATA KEY\n');
    // The planted links are left as they were; the file and its reason went to a fresh name.
    expect(await readlink(join(dir, 'rejected', 'x.jpg.reason.txt'))).toBe(victim);
    expect(outcome.movedTo).toBe(join(dir, 'rejected', 'x-1.jpg'));
    expect(await readFile(join(dir, 'rejected', 'x-1.jpg.reason.txt'), 'utf8')).toMatch(/^BAD_FILE_NAME: /);
  });

  it('a link dropped as a photo is never read or enrolled', async () => {
    const dir = await privateFolder('photo-link');
    const outside = join(root, 'someone-elses-photo.jpg');
    await writeFile(outside, await faceCrop('s2-0'));
    await symlink(outside, join(dir, 'L-1_Link_Face.jpg'));
    const { api, outcomeOf } = await watching(dir);
    // A regular file dropped after the link is handled: the link had its scans and was skipped.
    await writeFile(join(dir, 'L-2_Real_Face.jpg'), await faceCrop('s3-0'));
    expect((await outcomeOf('L-2_Real_Face.jpg')).accepted).toBe(true);
    expect(await api.app.store.employees.getByBadge('L-1')).toBeUndefined();
    expect((await lstat(join(dir, 'L-1_Link_Face.jpg'))).isSymbolicLink()).toBe(true);
    // The audit names the folder, not just `system`.
    const enrolled = (await auditOf(api, 'enroll'))[0];
    expect(enrolled).toMatchObject({ actorType: 'system', actorId: `watch-folder:${dir}` });
  });
});

describe('photos dropped for an existing badge', () => {
  it.each([
    [false, false, 'CONFLICT', 1],
    [true, true, undefined, 2],
  ])(
    'with FACEGATE_WATCH_ALLOW_EXISTING=%s, accepted: %s (%s), templates after: %i',
    async (allow, accepted, code, templates) => {
      const dir = await privateFolder('existing');
      const { api, outcomeOf } = await watching(dir, allow);
      const photo = await faceCrop('s4-0');
      const enrolled = await api.app.services.enrollment.enrollByBadge(
        { badge: 'B-7', firstName: 'Bea', lastName: 'Owner' },
        [{ bytes: photo, file: 'bea.jpg' }],
        cliActor('operator'),
      );
      const id = enrolled.employee?.id ?? '';
      expect(enrolled.added).toBe(1);
      // The owner's own face, lightly changed: only the setting decides, not a face mismatch.
      await writeFile(join(dir, 'B-7_Bea_Owner.jpg'), await transform(photo, 'recompress'));
      const outcome = await outcomeOf('B-7_Bea_Owner.jpg');
      expect(outcome.accepted).toBe(accepted);
      expect(outcome.reasons[0]?.code).toBe(code);
      expect(await api.app.store.templates.listByEmployee(id)).toHaveLength(templates);
    },
  );
});

describe('a watch folder others can write to', () => {
  type Setup = (dir: string) => Promise<void>;
  const cases: Array<[string, Setup, string]> = [
    ['the folder is group-writable', (dir) => chmod(dir, 0o770), 'WATCH_FOLDER_SHARED_WRITE'],
    ['the folder is world-writable', (dir) => chmod(dir, 0o707), 'WATCH_FOLDER_SHARED_WRITE'],
    [
      'rejected/ is group-writable',
      (dir) => mkdir(join(dir, 'rejected'), { mode: 0o700 }).then(() => chmod(join(dir, 'rejected'), 0o730)),
      'WATCH_FOLDER_SHARED_WRITE',
    ],
    [
      'processed/ is a link to another folder',
      async (dir) => {
        const elsewhere = join(root, `elsewhere-${folders}`);
        await mkdir(elsewhere, { mode: 0o700 });
        await symlink(elsewhere, join(dir, 'processed'));
      },
      'WATCH_FOLDER_NOT_DIRECTORY',
    ],
  ];
  // Changing a folder's owner needs root; as another user this row cannot be set up.
  if (process.getuid?.() === 0) {
    cases.push([
      'the folder belongs to another user',
      (dir) => chown(dir, 65534, 65534),
      'WATCH_FOLDER_FOREIGN_OWNER',
    ]);
  }

  it.each(cases)('the server refuses to start when %s', async (_what, setup, reason) => {
    const dir = await privateFolder('unsafe');
    await setup(dir);
    const dataDir = await privateFolder('data');
    const config = loadConfig(
      { NODE_ENV: 'test' },
      { env: 'test', dataDir, host: '127.0.0.1', port: 0, watchDir: dir, engine: { workers: 0 } },
    );
    const started = startServer(config, { handleSignals: false, announceSetupToken: false, app: { engine } });
    const error = (await started.then(
      async (server) => {
        await server.stop();
        throw new Error('the server started');
      },
      (e: unknown) => e,
    )) as FacegateError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details).toMatchObject({ reason });
    expect(error.message).toContain(dir);
  });
});
