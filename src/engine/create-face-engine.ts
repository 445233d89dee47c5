import type { FacegateConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import type { FaceEngine } from './face-engine.port.js';
import { type LocalEngineSettings, LocalFaceEngine } from './local-face-engine.js';
import { PooledFaceEngine } from './pooled-face-engine.js';

/**
 * The local engine's settings from the validated config. ORT threads default to 1: fr_feature is a small
 * net (≈ 9 ms), and a second thread cost more than it saved whenever the other core was busy (measured).
 */
export function localEngineSettings(config: FacegateConfig): LocalEngineSettings {
  const e = config.engine;
  const ortThreads = e.ortThreads > 0 ? e.ortThreads : 1;
  return {
    maxImageBytes: e.maxImageBytes,
    maxImagePixels: e.maxImagePixels,
    detectMaxSide: e.detectMaxSide,
    minFaceSize: e.minFaceSize,
    maxYaw: e.maxYaw,
    maxPitch: e.maxPitch,
    maxRoll: e.maxRoll,
    minSharpness: e.minSharpness,
    minBrightness: e.minBrightness,
    maxBrightness: e.maxBrightness,
    embedder: e.embedder,
    flipAugment: e.flipAugment,
    ortThreads,
    fusion: e.fusion,
    detector: e.detector,
  };
}

/**
 * Builds the configured FaceEngine: `engine.workers` = 0 runs the local engine in the calling thread
 * (CLI, tests, eval); more runs it in that many worker threads so inference never blocks the event loop.
 * Models load on the first call or on `load()`.
 */
export function createFaceEngine(config: FacegateConfig): FaceEngine {
  if (config.engine.kind !== 'local') {
    throw new FacegateError(
      'CONFIG_INVALID',
      `Face engine "${config.engine.kind}" is not available in this build`,
    );
  }
  const settings = localEngineSettings(config);
  return config.engine.workers === 0
    ? new LocalFaceEngine(settings)
    : new PooledFaceEngine(settings, config.engine.workers);
}
