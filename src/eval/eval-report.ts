import type { ThresholdPreset } from '../config/config.js';
import type { EngineInfo } from '../engine/face-engine.port.js';
import type { ModelThresholds } from '../gallery/threshold-presets.js';
import type { FacesDataset } from './faces-dataset.js';
import {
  countAtLeast,
  lfwProtocol,
  type OpenSetRates,
  openSetRates,
  openSetSplit,
  type ProbeSearch,
  type RocPoint,
  rankOneRate,
  rocCurve,
  searchProbes,
  sortDescending,
  thresholdAtFar,
  thresholdAtFpir,
  verificationMetrics,
} from './metrics.js';

/** The preset names, strictest first, and the FAR each one targets. */
export const PRESET_FARS: Record<ThresholdPreset, number> = { strict: 1e-5, balanced: 1e-4, lenient: 1e-3 };
const PRESETS = Object.keys(PRESET_FARS) as ThresholdPreset[];

/** A scored verification pair; `score` is -Infinity when a face is missing. */
export interface ScoredPair {
  a: string;
  b: string;
  same: boolean;
  score: number;
  fold?: number;
}

/** One image's embedding as the scorer sees it (null = no face). */
export interface ScoredImage {
  embedding: Float32Array | null;
  ms: number | null;
}

/** What the evaluated configuration was. */
export interface EvalContext {
  engine: EngineInfo;
  embedder: string;
  flip: boolean;
  identify: boolean;
  margin: number;
  /** Thresholds currently configured for this model (MODEL_THRESHOLDS), if any. */
  configured: ModelThresholds | undefined;
}

/** Measured rates at one preset threshold. */
export interface PresetFigures {
  threshold: number;
  target_far: number;
  far: number;
  tar: number;
  false_accepts: number;
}

/** Open-set rates at one preset threshold, without and with the margin rule. */
export interface IdentifyPresetFigures {
  threshold: number;
  fpir: number;
  fnir: number;
  mated_wrong_accept: number;
  fpir_with_margin: number;
  fnir_with_margin: number;
  mated_wrong_accept_with_margin: number;
}

/** Open-set 1:N figures (`--identify`). */
export interface IdentifyFigures {
  gallery_identities: number;
  mated_probes: number;
  non_mated_probes: number;
  rank1: number;
  'fnir_at_fpir_1e-2': number;
  'threshold_at_fpir_1e-2': number | null;
  margin: number;
  'fnir_at_fpir_1e-2_with_margin': number;
  'threshold_at_fpir_1e-2_with_margin': number | null;
  threshold_source: 'MODEL_THRESHOLDS' | 'this run';
  presets: Record<ThresholdPreset, IdentifyPresetFigures>;
}

/** The JSON object `facegate eval` prints as its last stdout line. */
export interface EvalReport {
  images: number;
  detected: number;
  identities: number;
  genuine_pairs: number;
  impostor_pairs: number;
  pairs_source: FacesDataset['pairsSource'];
  'tar_at_far_1e-2': number;
  'tar_at_far_1e-3': number;
  'tar_at_far_1e-4': number;
  'threshold_at_far_1e-2': number | null;
  'threshold_at_far_1e-3': number | null;
  'threshold_at_far_1e-4': number | null;
  eer: number;
  eer_threshold: number | null;
  auc: number;
  max_impostor_score: number | null;
  lfw_accuracy: number | null;
  lfw_accuracy_std: number | null;
  lfw_pairs: number;
  /** Thresholds this run recommends for MODEL_THRESHOLDS (rule in docs/engine.md "Threshold presets"). */
  calibrated: { strict: number | null; balanced: number | null; lenient: number | null };
  /** FAR/TAR measured here at the thresholds currently configured for this model (null when uncalibrated). */
  presets: Record<ThresholdPreset, PresetFigures> | null;
  ms_per_image_median: number | null;
  ms_per_image_p95: number | null;
  engine: EngineInfo;
  embedder: string;
  flip: boolean;
  rank1?: number;
  'fnir_at_fpir_1e-2'?: number;
  identify?: IdentifyFigures;
}

/** Everything one evaluation computed: the printed report plus the raw material for files. */
export interface EvalResult {
  report: EvalReport;
  pairs: ScoredPair[];
  lfwPairs: ScoredPair[];
  probes: ProbeSearch[] | null;
  roc: RocPoint[];
}

const round = (x: number, digits = 6): number => Number(x.toFixed(digits));
const finiteOrNull = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);
const ceil3 = (x: number | null): number | null =>
  x === null || !Number.isFinite(x) ? null : Math.ceil(x * 1000) / 1000;

/** Cosine similarity of two unit vectors; -Infinity when either face is missing. */
export function pairScore(a: Float32Array | null | undefined, b: Float32Array | null | undefined): number {
  if (!a || !b) return Number.NEGATIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Recommended preset thresholds from impostor scores, rounded up to 3 decimals:
 * lenient = threshold at FAR 1e-3, balanced = at FAR 1e-4, and strict (FAR 1e-5, which ~10^5 impostor pairs
 * cannot measure) = the larger of the threshold at FAR 1e-5 (just above the highest impostor score when there are
 * fewer than 10^5 impostors) and a log-linear extrapolation, balanced + (balanced − lenient).
 */
export function calibrateThresholds(impostorDesc: Float64Array): EvalReport['calibrated'] {
  const lenient = thresholdAtFar(impostorDesc, 1e-3);
  const balanced = thresholdAtFar(impostorDesc, 1e-4);
  const measured = thresholdAtFar(impostorDesc, 1e-5);
  const extrapolated =
    balanced !== null && lenient !== null && Number.isFinite(balanced) && Number.isFinite(lenient)
      ? balanced + (balanced - lenient)
      : null;
  const strict =
    measured === null ? null : extrapolated === null ? measured : Math.max(measured, extrapolated);
  return { strict: ceil3(strict), balanced: ceil3(balanced), lenient: ceil3(lenient) };
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Scores the LFW-protocol pairs (when the data set has them) and runs the 10-fold protocol over them. */
function scoreLfwPairs(dataset: FacesDataset, emb: (rel: string) => Float32Array | null) {
  const lfwPairs: ScoredPair[] = (dataset.lfwPairs ?? []).map((p) => ({
    ...p,
    score: pairScore(emb(p.a), emb(p.b)),
  }));
  const lfw = lfwPairs.length > 0 ? lfwProtocol(lfwPairs.map((p) => ({ ...p, fold: p.fold ?? 0 }))) : null;
  return { lfwPairs, lfw };
}

/** Per-image embedding times in ms, skipping images that were not timed. */
function imageTimings(dataset: FacesDataset, images: ReadonlyMap<string, ScoredImage>): number[] {
  return dataset.images.flatMap((i) => {
    const t = images.get(i.rel)?.ms;
    return t === null || t === undefined ? [] : [t];
  });
}

/** Per-preset FAR/TAR at the configured thresholds, or null when no thresholds are configured. */
function verificationPresets(
  configured: EvalContext['configured'],
  impostorDesc: Float64Array,
  genuineDesc: Float64Array,
): Record<ThresholdPreset, PresetFigures> | null {
  return configured
    ? (Object.fromEntries(
        PRESETS.map((name) => {
          const t = configured[name];
          const falseAccepts = countAtLeast(impostorDesc, t);
          return [
            name,
            {
              threshold: t,
              target_far: PRESET_FARS[name],
              far: round(impostorDesc.length === 0 ? 0 : falseAccepts / impostorDesc.length, 8),
              tar: round(genuineDesc.length === 0 ? 0 : countAtLeast(genuineDesc, t) / genuineDesc.length),
              false_accepts: falseAccepts,
            },
          ];
        }),
      ) as Record<ThresholdPreset, PresetFigures>)
    : null;
}

/** Open-set identification figures (rank-1, FNIR at FPIR, per-preset rates) over a gallery/probe split. */
function identifyFigures(
  dataset: FacesDataset,
  emb: (rel: string) => Float32Array | null,
  context: EvalContext,
  calibrated: ReturnType<typeof calibrateThresholds>,
): { probes: ProbeSearch[]; identify: IdentifyFigures } {
  const configured = context.configured;
  const split = openSetSplit(
    dataset.images.map((i) => ({ identity: i.identity, name: i.rel, embedding: emb(i.rel) })),
  );
  const probes = searchProbes(split);
  const thresholds: Record<ThresholdPreset, number> = configured
    ? { strict: configured.strict, balanced: configured.balanced, lenient: configured.lenient }
    : {
        strict: calibrated.strict ?? Number.POSITIVE_INFINITY,
        balanced: calibrated.balanced ?? Number.POSITIVE_INFINITY,
        lenient: calibrated.lenient ?? Number.POSITIVE_INFINITY,
      };
  const at = (t: number | null, margin: number): OpenSetRates =>
    openSetRates(probes, t ?? Number.POSITIVE_INFINITY, margin);
  const t0 = thresholdAtFpir(probes, 0.01, 0);
  const tm = thresholdAtFpir(probes, 0.01, context.margin);
  const identify: IdentifyFigures = {
    gallery_identities: split.gallery.length,
    mated_probes: split.mated.length,
    non_mated_probes: split.nonMated.length,
    rank1: round(rankOneRate(probes)),
    'fnir_at_fpir_1e-2': round(at(t0, 0).fnir),
    'threshold_at_fpir_1e-2': finiteOrNull(t0),
    margin: context.margin,
    'fnir_at_fpir_1e-2_with_margin': round(at(tm, context.margin).fnir),
    'threshold_at_fpir_1e-2_with_margin': finiteOrNull(tm),
    threshold_source: configured ? 'MODEL_THRESHOLDS' : 'this run',
    presets: Object.fromEntries(
      PRESETS.map((name) => {
        const t = thresholds[name];
        const plain = at(t, 0);
        const withMargin = at(t, context.margin);
        return [
          name,
          {
            threshold: t,
            fpir: round(plain.fpir),
            fnir: round(plain.fnir),
            mated_wrong_accept: round(plain.matedWrongAccept),
            fpir_with_margin: round(withMargin.fpir),
            fnir_with_margin: round(withMargin.fnir),
            mated_wrong_accept_with_margin: round(withMargin.matedWrongAccept),
          },
        ];
      }),
    ) as Record<ThresholdPreset, IdentifyPresetFigures>,
  };
  return { probes, identify };
}

/** Scores every pair, computes the verification, LFW and (optionally) open-set figures. */
export function buildReport(
  dataset: FacesDataset,
  images: ReadonlyMap<string, ScoredImage>,
  context: EvalContext,
): EvalResult {
  const emb = (rel: string): Float32Array | null => images.get(rel)?.embedding ?? null;
  const pairs: ScoredPair[] = dataset.pairs.map((p) => ({ ...p, score: pairScore(emb(p.a), emb(p.b)) }));
  const genuine = pairs.filter((p) => p.same).map((p) => p.score);
  const impostorDesc = sortDescending(pairs.filter((p) => !p.same).map((p) => p.score));
  const genuineDesc = sortDescending(genuine);
  const v = verificationMetrics(genuineDesc, impostorDesc);
  const op = (i: number) => v.operatingPoints[i] as (typeof v.operatingPoints)[number];

  const { lfwPairs, lfw } = scoreLfwPairs(dataset, emb);

  const ms = imageTimings(dataset, images);
  const calibrated = calibrateThresholds(impostorDesc);
  const configured = context.configured;
  const presets = verificationPresets(configured, impostorDesc, genuineDesc);

  const maxImpostor = impostorDesc.length > 0 ? (impostorDesc[0] as number) : null;
  const report: EvalReport = {
    images: dataset.images.length,
    detected: dataset.images.filter((i) => emb(i.rel) !== null).length,
    identities: dataset.identities,
    genuine_pairs: genuineDesc.length,
    impostor_pairs: impostorDesc.length,
    pairs_source: dataset.pairsSource,
    'tar_at_far_1e-2': round(op(0).tar),
    'tar_at_far_1e-3': round(op(1).tar),
    'tar_at_far_1e-4': round(op(2).tar),
    'threshold_at_far_1e-2': finiteOrNull(op(0).threshold),
    'threshold_at_far_1e-3': finiteOrNull(op(1).threshold),
    'threshold_at_far_1e-4': finiteOrNull(op(2).threshold),
    eer: round(v.eer),
    eer_threshold: finiteOrNull(v.eerThreshold),
    auc: round(v.auc),
    max_impostor_score: finiteOrNull(maxImpostor),
    lfw_accuracy: lfw ? round(lfw.accuracy) : null,
    lfw_accuracy_std: lfw ? round(lfw.std) : null,
    lfw_pairs: lfwPairs.length,
    calibrated,
    presets,
    ms_per_image_median: ms.length > 0 ? round(percentile(ms, 0.5) as number, 1) : null,
    ms_per_image_p95: ms.length > 0 ? round(percentile(ms, 0.95) as number, 1) : null,
    engine: context.engine,
    embedder: context.embedder,
    flip: context.flip,
  };

  let probes: ProbeSearch[] | null = null;
  if (context.identify) {
    const figures = identifyFigures(dataset, emb, context, calibrated);
    probes = figures.probes;
    const identify = figures.identify;
    report.rank1 = identify.rank1;
    report['fnir_at_fpir_1e-2'] = identify['fnir_at_fpir_1e-2'];
    report.identify = identify;
  }
  return { report, pairs, lfwPairs, probes, roc: rocCurve(genuineDesc, impostorDesc) };
}
