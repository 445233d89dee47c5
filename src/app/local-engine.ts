import type { FacegateConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { localEngineSettings } from '../engine/create-face-engine.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import { LocalFaceEngine } from '../engine/local-face-engine.js';
import { PooledFaceEngine } from '../engine/pooled-face-engine.js';

// The local engine's factory, in its own module so a process on a remote engine (the Lambda functions) never
// loads the ONNX/tfjs runtimes: `openEngine` in adapters.ts imports it only for `FACEGATE_ENGINE=local`.

/**
 * Builds the local FaceEngine: `engine.workers` = 0 runs it in the calling thread (CLI, tests, eval); more runs it
 * in that many worker threads so inference never blocks the event loop. Models load on the first call or on
 * `load()`.
 */
export function createEngine(config: FacegateConfig): FaceEngine {
  if (config.engine.kind !== 'local') {
    throw new FacegateError(
      'CONFIG_INVALID',
      `This command needs the local face engine, not "${config.engine.kind}"`,
    );
  }
  const settings = localEngineSettings(config);
  return config.engine.workers === 0
    ? new LocalFaceEngine(settings)
    : new PooledFaceEngine(settings, config.engine.workers);
}
