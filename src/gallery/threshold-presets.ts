import type { ThresholdPreset } from '../config/config.js';

/** Cosine-similarity thresholds of one embedding model, with how they were measured. */
export interface ModelThresholds {
  strict: number;
  balanced: number;
  lenient: number;
  measuredOn: string;
}

/**
 * Calibrated thresholds per `EngineInfo.model` id: strict = FAR 1e-5, balanced = FAR 1e-4, lenient = FAR 1e-3.
 * Replace only with figures printed by `facegate eval` and recorded in README.
 */
export const MODEL_THRESHOLDS: Record<string, ModelThresholds> = {};

/** Returns the threshold of `preset` for `model`; throws when the model was never calibrated. */
export function thresholdFor(model: string, preset: ThresholdPreset): number {
  const entry = MODEL_THRESHOLDS[model];
  if (!entry) throw new Error(`No calibrated thresholds for model "${model}"`);
  return entry[preset];
}
