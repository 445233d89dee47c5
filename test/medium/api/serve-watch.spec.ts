import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../../src/app/server-lifecycle.js';
import { loadConfig } from '../../../src/config/config.js';
import { cliActor } from '../../../src/domain/access.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { faceCrop } from '../../fixtures/sample-faces.js';
import { loadEngine } from './api-test-kit.js';

let engine: FaceEngine;
let dataDir: string;
let inbox: string;

beforeAll(async () => {
  engine = await loadEngine();
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-serve-watch-'));
  inbox = join(dataDir, 'inbox');
  await mkdir(inbox);
});

afterAll(async () => {
  await engine?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Polls `check` every 200 ms, at most `tries` times. */
async function eventually(check: () => Promise<boolean>, tries = 300): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('facegate serve with FACEGATE_WATCH_DIR', () => {
  it('enrolls photos dropped into the watch folder while serving, and stops watching on shutdown', async () => {
    let server: RunningServer | undefined;
    try {
      server = await startServer(
        loadConfig(process.env, {
          env: 'test',
          dataDir,
          host: '127.0.0.1',
          port: 0,
          watchDir: inbox,
          engine: { workers: 0 },
        }),
        { handleSignals: false, announceSetupToken: false, app: { engine } },
      );
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await writeFile(join(inbox, 'W-1_Wanda_Watcher.jpg'), await faceCrop('s4-3'));
      const processed = join(inbox, 'processed');
      const moved = await eventually(async () =>
        (await readdir(processed).catch(() => [] as string[])).includes('W-1_Wanda_Watcher.jpg'),
      );
      expect(moved).toBe(true);
      const details = await server.ctx.employees.getDetails('W-1', cliActor());
      expect(details.employee).toMatchObject({ firstName: 'Wanda', lastName: 'Watcher' });
      expect(details.templates).toHaveLength(1);
    } finally {
      await server?.stop();
    }
    // After shutdown nothing handles the folder any more: a new file stays where it was dropped.
    await writeFile(join(inbox, 'W-2_Late_Arrival.jpg'), await faceCrop('s5-0'));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await readdir(inbox)).toContain('W-2_Late_Arrival.jpg');
  });
});
