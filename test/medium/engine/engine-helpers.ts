import { createEngine } from '../../../src/app/local-engine.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../../../src/config/config.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';

/** An in-process engine from the default config (environment ignored) with engine overrides. */
export function testEngine(engine: DeepPartial<FacegateConfig['engine']> = {}): FaceEngine {
  return createEngine(loadConfig({ NODE_ENV: 'test' }, { engine: { workers: 0, ...engine } }));
}

/** The FacegateError code a promise rejects with (or `resolved`). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded: ${String(error)}`;
  }
}
