import type { FacegateConfig, ThresholdPreset } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { thresholdFor } from '../gallery/threshold-presets.js';
import type { Store } from '../store/store.port.js';

/** Settings key holding the active 1:1 (verify) threshold preset (changed at run time by admins). */
export const MATCH_PRESET_KEY = 'match.preset';
/** Settings key holding the active 1:N (identify) threshold preset. */
export const IDENTIFY_PRESET_KEY = 'match.identifyPreset';

/** Which decision a threshold is for: 1:N identification or 1:1 verification (and duplicate checks). */
export type MatchMode = 'identify' | 'verify';

/** Looks a preset's threshold up for a model; injectable so tests need no calibration table. */
export type ThresholdLookup = (model: string, preset: ThresholdPreset) => number;

const PRESETS: readonly ThresholdPreset[] = ['strict', 'balanced', 'lenient'];

/** The threshold in force for `mode`: preset from settings (or config), value calibrated for the engine's model. */
export async function currentThreshold(
  store: Store,
  config: FacegateConfig,
  model: string,
  lookup: ThresholdLookup = thresholdFor,
  mode: MatchMode = 'verify',
): Promise<{ preset: ThresholdPreset; threshold: number }> {
  const stored = await store.settings.get<string>(
    mode === 'identify' ? IDENTIFY_PRESET_KEY : MATCH_PRESET_KEY,
  );
  const fallback = mode === 'identify' ? config.match.identifyPreset : config.match.preset;
  const preset = PRESETS.includes(stored as ThresholdPreset) ? (stored as ThresholdPreset) : fallback;
  let threshold: number;
  try {
    threshold = lookup(model, preset);
  } catch (cause) {
    // Matching with a guessed threshold would let strangers in: refuse until `facegate eval` calibrated the model.
    throw new FacegateError(
      'NOT_READY',
      `No calibrated thresholds for model "${model}"`,
      { model },
      { cause },
    );
  }
  return { preset, threshold };
}

/** A score or figure as decisions report it: 4 decimals. */
export function roundScore(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** Settings key overriding `FACEGATE_KEEP_PHOTOS` at run time. */
export const KEEP_PHOTOS_KEY = 'photos.keep';

/** Whether enrollment photos are kept: the run-time setting, else the config. */
export async function keepPhotos(store: Store, config: FacegateConfig): Promise<boolean> {
  const stored = await store.settings.get<unknown>(KEEP_PHOTOS_KEY);
  return typeof stored === 'boolean' ? stored : config.keepPhotos;
}
