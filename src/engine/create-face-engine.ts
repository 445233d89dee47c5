import type { FacegateConfig } from '../config/config.js';
import type { LocalEngineSettings } from './local-face-engine.js';

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
