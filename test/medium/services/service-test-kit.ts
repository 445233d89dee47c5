import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, createApp } from '../../../src/app/composition-root.js';
import { createEngine } from '../../../src/app/local-engine.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../../../src/config/config.js';
import type { Actor } from '../../../src/domain/access.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';

/** The CLI-like actor of medium tests. */
export const operator: Actor = { type: 'cli', id: 'medium-test' };

/** Config of a throw-away data directory, in-process engine. */
export function testConfig(dataDir: string, overrides: DeepPartial<FacegateConfig> = {}): FacegateConfig {
  return loadConfig(
    { FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir, FACEGATE_ENGINE_WORKERS: '0' },
    overrides,
  );
}

/** One loaded engine per test file. */
export async function loadEngine(): Promise<FaceEngine> {
  const engine = createEngine(testConfig(tmpdir()));
  await engine.load();
  return engine;
}

/** A fresh data directory and an app over it, sharing `engine`. */
export async function openApp(engine: FaceEngine, dataDir?: string): Promise<App & { dataDir: string }> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'facegate-svc-')));
  const app = await createApp(testConfig(dir), { engine });
  return Object.assign(app, { dataDir: dir });
}

/** Closes the app and removes its data directory. */
export async function disposeApp(app: App & { dataDir: string }): Promise<void> {
  await app.close();
  await rm(app.dataDir, { recursive: true, force: true });
}

/** Every file under `dir`, relative, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}
