import type { ThresholdPreset } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';
import type { MatchThreshold } from '../../services/remote-face-matcher.port.js';

/**
 * facegate's presets on Rekognition's similarity scale (0–100).
 *
 * Where the figures come from: Rekognition's own defaults and guidance, not a measurement of ours (Rekognition
 * returns no embeddings, so `facegate eval` cannot calibrate it offline).
 * - `strict` = 99: AWS recommends a similarity threshold of 99 % for uses where a false match has serious
 *   consequences (Rekognition developer guide, "Using similarity thresholds to match faces" / guidance for
 *   public-safety uses).
 * - `lenient` = 90 and `balanced` = 95: between the API defaults (`FaceMatchThreshold` / `UserMatchThreshold`
 *   and `SimilarityThreshold` default to 80) and the 99 recommendation, keeping each preset stricter than
 *   Rekognition's default. Measure false accepts on your own employees before relaxing them.
 */
export const REKOGNITION_SIMILARITY: Readonly<Record<ThresholdPreset, number>> = {
  strict: 99,
  balanced: 95,
  lenient: 90,
};

/** The similarity (0–100) a threshold stands for; refuses values outside Rekognition's range. */
export function similarityFor(threshold: MatchThreshold): number {
  if (typeof threshold === 'string') return REKOGNITION_SIMILARITY[threshold];
  const { similarity } = threshold;
  if (!Number.isFinite(similarity) || similarity < 0 || similarity > 100) {
    throw new FacegateError('VALIDATION_FAILED', 'Rekognition similarity must be between 0 and 100', {
      similarity,
    });
  }
  return similarity;
}
