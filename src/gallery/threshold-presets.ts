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
const PROVISIONAL = '2026-11-26 provisional: ../shared/faces without flip, facegate eval';

export const MODEL_THRESHOLDS: Record<string, ModelThresholds> = {
  // Provisional (no-flip run of 2026-11-26); replaced by the final calibration below when it lands.
  'human-mesh+fr_feature': { strict: 0.49, balanced: 0.413, lenient: 0.335, measuredOn: PROVISIONAL },
  'human-mesh+fr_feature+flip': { strict: 0.49, balanced: 0.413, lenient: 0.335, measuredOn: PROVISIONAL },
  'human-mesh+dlib': { strict: 0.977, balanced: 0.97, lenient: 0.965, measuredOn: PROVISIONAL },
  'human-mesh+dlib+flip': { strict: 0.977, balanced: 0.97, lenient: 0.965, measuredOn: PROVISIONAL },
  'human-mesh+fr_feature*0.5+dlib*0.5': {
    strict: 0.725,
    balanced: 0.681,
    lenient: 0.638,
    measuredOn: PROVISIONAL,
  },
  'human-mesh+fr_feature*0.5+dlib*0.5+flip': {
    strict: 0.725,
    balanced: 0.681,
    lenient: 0.638,
    measuredOn: PROVISIONAL,
  },
};

/** Returns the threshold of `preset` for `model`; throws when the model was never calibrated. */
export function thresholdFor(model: string, preset: ThresholdPreset): number {
  const entry = MODEL_THRESHOLDS[model];
  if (!entry) throw new Error(`No calibrated thresholds for model "${model}"`);
  return entry[preset];
}
