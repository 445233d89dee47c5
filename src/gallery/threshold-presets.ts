import type { ThresholdPreset } from '../config/config.js';

/** Cosine-similarity thresholds of one embedding model, with how they were measured. */
export interface ModelThresholds {
  strict: number;
  balanced: number;
  lenient: number;
  measuredOn: string;
}

/**
 * How every entry below was measured: `facegate eval` on ../shared/faces (3,811 LFW images of 2,086 people,
 * pairs.tsv = 4,414 genuine / 88,280 impostor pairs), pipeline version 1 (dlib v2), 2026-11-26, 2-core AMD EPYC VM.
 * lenient = the threshold at FAR 1e-3 and balanced = at FAR 1e-4 (smallest threshold whose measured FAR is at most
 * the target), each rounded up to 3 decimals. strict (FAR 1e-5) cannot be measured on 88 k impostor pairs, so it is
 * the larger of "just above the highest impostor score" and balanced + (balanced − lenient), rounded up.
 * Fusion and single-model rows come from the same fused embeddings split back into their members
 * (bench/eval-fusion.ts). Web photos of celebrities, not employees: re-calibrate on your own photos.
 */
const MEASURED =
  '2026-11-26 facegate eval, ../shared/faces (LFW 3,811 images, 4,414 genuine / 88,280 impostor pairs)';

/**
 * The `mp-mesh+…` rows (MediaPipe detector on ONNX Runtime, `FACEGATE_DETECTOR=mediapipe-onnx`), same rules, no flip:
 * the default fusion from its own run, the others from one three-member run split by bench/eval-fusion.ts (which
 * reproduces the default fusion's figures exactly). No `+flip` row was measured.
 */
const MEASURED_MP =
  '2026-11-29 facegate eval, ../shared/faces (LFW 3,811 images, 4,414 genuine / 88,280 impostor pairs), mp-mesh';

/**
 * Calibrated thresholds per `EngineInfo.model` id: strict = FAR 1e-5, balanced = FAR 1e-4, lenient = FAR 1e-3.
 * Replace only with figures printed by `facegate eval` and recorded in docs/engine.md "Threshold presets".
 */
export const MODEL_THRESHOLDS: Record<string, ModelThresholds> = {
  'mp-mesh+fr_feature*0.5+mobilefacenet*0.5': {
    strict: 0.527,
    balanced: 0.449,
    lenient: 0.371,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+fr_feature': {
    strict: 0.504,
    balanced: 0.419,
    lenient: 0.335,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+mobilefacenet': {
    strict: 0.617,
    balanced: 0.53,
    lenient: 0.449,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+dlib': {
    strict: 0.957,
    balanced: 0.942,
    lenient: 0.926,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+fr_feature*0.3+mobilefacenet*0.3+dlib*0.4': {
    strict: 0.682,
    balanced: 0.633,
    lenient: 0.584,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+fr_feature*0.7+dlib*0.3': {
    strict: 0.628,
    balanced: 0.566,
    lenient: 0.506,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+fr_feature*0.5+dlib*0.5': {
    strict: 0.715,
    balanced: 0.666,
    lenient: 0.621,
    measuredOn: MEASURED_MP,
  },
  'mp-mesh+fr_feature*0.3+dlib*0.7': {
    strict: 0.803,
    balanced: 0.769,
    lenient: 0.739,
    measuredOn: MEASURED_MP,
  },
  'human-mesh+fr_feature': { strict: 0.49, balanced: 0.413, lenient: 0.335, measuredOn: MEASURED },
  'human-mesh+fr_feature+flip': { strict: 0.501, balanced: 0.418, lenient: 0.335, measuredOn: MEASURED },
  'human-mesh+mobilefacenet': { strict: 0.618, balanced: 0.528, lenient: 0.451, measuredOn: MEASURED },
  'human-mesh+mobilefacenet+flip': { strict: 0.649, balanced: 0.523, lenient: 0.454, measuredOn: MEASURED },
  'human-mesh+fr_feature*0.5+mobilefacenet*0.5': {
    strict: 0.523,
    balanced: 0.446,
    lenient: 0.369,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.5+mobilefacenet*0.5+flip': {
    strict: 0.512,
    balanced: 0.443,
    lenient: 0.374,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.3+mobilefacenet*0.3+dlib*0.4': {
    strict: 0.676,
    balanced: 0.63,
    lenient: 0.584,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.3+mobilefacenet*0.3+dlib*0.4+flip': {
    strict: 0.68,
    balanced: 0.634,
    lenient: 0.587,
    measuredOn: MEASURED,
  },
  'human-mesh+dlib': { strict: 0.954, balanced: 0.94, lenient: 0.927, measuredOn: MEASURED },
  'human-mesh+dlib+flip': { strict: 0.96, balanced: 0.945, lenient: 0.93, measuredOn: MEASURED },
  'human-mesh+fr_feature*0.7+dlib*0.3': {
    strict: 0.617,
    balanced: 0.562,
    lenient: 0.506,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.7+dlib*0.3+flip': {
    strict: 0.631,
    balanced: 0.569,
    lenient: 0.507,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.5+dlib*0.5': {
    strict: 0.708,
    balanced: 0.664,
    lenient: 0.62,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.5+dlib*0.5+flip': {
    strict: 0.718,
    balanced: 0.67,
    lenient: 0.622,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.3+dlib*0.7': {
    strict: 0.802,
    balanced: 0.77,
    lenient: 0.738,
    measuredOn: MEASURED,
  },
  'human-mesh+fr_feature*0.3+dlib*0.7+flip': {
    strict: 0.809,
    balanced: 0.774,
    lenient: 0.741,
    measuredOn: MEASURED,
  },
};

/** Returns the threshold of `preset` for `model`; throws when the model was never calibrated. */
export function thresholdFor(model: string, preset: ThresholdPreset): number {
  const entry = MODEL_THRESHOLDS[model];
  if (!entry) throw new Error(`No calibrated thresholds for model "${model}"`);
  return entry[preset];
}
