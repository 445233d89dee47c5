import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThresholdPreset } from '../config/config.js';
import type { EngineInfo } from '../engine/face-engine.port.js';
import { type EvalReport, type EvalResult, PRESET_FARS, type ScoredPair } from './eval-report.js';
import type { RocPoint } from './metrics.js';
import { type RocMarker, renderRocSvg } from './roc-svg.js';

/** Shape of `<dataDir>/calibration/last.json`, read by the admin API/UI. */
export interface CalibrationFile {
  format: 1;
  created_at: string;
  /** Folder that was evaluated (as given on the command line). */
  faces_dir: string;
  engine: EngineInfo;
  embedder: string;
  flip: boolean;
  images: number;
  detected: number;
  genuine_pairs: number;
  impostor_pairs: number;
  eer: number;
  auc: number;
  lfw_accuracy: number | null;
  /** TAR and threshold at FAR 1e-2, 1e-3, 1e-4. */
  operating_points: { far: number; tar: number; threshold: number | null }[];
  /** Thresholds this calibration recommends (same rule as MODEL_THRESHOLDS). */
  calibrated: EvalReport['calibrated'];
  /**
   * Expected FAR/TAR of each preset: measured on this calibration's pairs at the thresholds the server uses for
   * this model (MODEL_THRESHOLDS), or at the recommended ones when the model has none.
   */
  presets: Record<
    ThresholdPreset,
    { threshold: number | null; target_far: number; far: number | null; tar: number | null }
  >;
  /** ROC thinned to log-spaced FAR steps: best TAR at FAR ≤ far, and the threshold giving it. */
  roc: { far: number; tar: number; threshold: number | null }[];
  identify: EvalReport['identify'] | null;
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const scoreCell = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : '');

function pairsCsv(pairs: readonly ScoredPair[], withFold: boolean): string {
  const head = withFold ? 'a,b,same,fold,score' : 'a,b,same,score';
  const rows = pairs.map((p) =>
    [
      csvCell(p.a),
      csvCell(p.b),
      p.same ? '1' : '0',
      ...(withFold ? [String(p.fold ?? '')] : []),
      scoreCell(p.score),
    ].join(','),
  );
  return `${head}\n${rows.join('\n')}\n`;
}

/** ROC reduced to `steps` log-spaced FAR values between 1e-5 and 1. */
export function thinRoc(roc: readonly RocPoint[], steps = 101): CalibrationFile['roc'] {
  const out: CalibrationFile['roc'] = [];
  let k = 0;
  let best: RocPoint | undefined;
  for (let s = 0; s < steps; s++) {
    const far = 10 ** (-5 + (5 * s) / (steps - 1));
    while (k < roc.length && (roc[k] as RocPoint).far <= far * (1 + 1e-12)) best = roc[k++];
    if (best) {
      out.push({
        far: Number(far.toPrecision(4)),
        tar: Number(best.tar.toFixed(6)),
        threshold: Number.isFinite(best.threshold) ? best.threshold : null,
      });
    }
  }
  return out;
}

function markers(report: EvalReport): RocMarker[] {
  if (!report.presets) return [];
  return (Object.keys(report.presets) as ThresholdPreset[]).map((name) => {
    const p = report.presets?.[name];
    return { far: Math.max(p?.far ?? 0, 1e-5), tar: p?.tar ?? 0, label: `${name} ${p?.threshold}` };
  });
}

/** The chart of one evaluation. */
export function evalRocSvg(result: EvalResult): string {
  const r = result.report;
  return renderRocSvg(
    [
      {
        label: `${r.engine.model} (${r.genuine_pairs} genuine / ${r.impostor_pairs} impostor pairs)`,
        points: result.roc,
      },
    ],
    { title: `ROC: ${r.engine.model} (engine ${r.engine.version})`, markers: markers(r) },
  );
}

/** Writes `report.json`, `scores.csv`, `lfw_scores.csv`, `identify.csv` and `roc.svg` into `dir`. */
export async function writeEvalOutputs(dir: string, result: EvalResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['report.json', `${JSON.stringify(result.report, null, 2)}\n`],
    ['scores.csv', pairsCsv(result.pairs, false)],
    ['roc.svg', evalRocSvg(result)],
  ];
  if (result.lfwPairs.length > 0) files.push(['lfw_scores.csv', pairsCsv(result.lfwPairs, true)]);
  if (result.probes) {
    const rows = result.probes.map((p) =>
      [
        csvCell(p.identity),
        p.mated ? '1' : '0',
        csvCell(p.best ?? ''),
        scoreCell(p.top1),
        scoreCell(p.top2),
      ].join(','),
    );
    files.push(['identify.csv', `identity,mated,best,top1,top2\n${rows.join('\n')}\n`]);
  }
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

/** Builds the calibration record the admin UI shows. */
export function calibrationRecord(result: EvalResult, facesDir: string, now = new Date()): CalibrationFile {
  const r = result.report;
  const presetNames = Object.keys(PRESET_FARS) as ThresholdPreset[];
  const presets = Object.fromEntries(
    presetNames.map((name) => {
      const measured = r.presets?.[name];
      return [
        name,
        measured
          ? {
              threshold: measured.threshold,
              target_far: measured.target_far,
              far: measured.far,
              tar: measured.tar,
            }
          : { threshold: r.calibrated[name], target_far: PRESET_FARS[name], far: null, tar: null },
      ];
    }),
  ) as CalibrationFile['presets'];
  return {
    format: 1,
    created_at: now.toISOString(),
    faces_dir: facesDir,
    engine: r.engine,
    embedder: r.embedder,
    flip: r.flip,
    images: r.images,
    detected: r.detected,
    genuine_pairs: r.genuine_pairs,
    impostor_pairs: r.impostor_pairs,
    eer: r.eer,
    auc: r.auc,
    lfw_accuracy: r.lfw_accuracy,
    operating_points: [
      { far: 1e-2, tar: r['tar_at_far_1e-2'], threshold: r['threshold_at_far_1e-2'] },
      { far: 1e-3, tar: r['tar_at_far_1e-3'], threshold: r['threshold_at_far_1e-3'] },
      { far: 1e-4, tar: r['tar_at_far_1e-4'], threshold: r['threshold_at_far_1e-4'] },
    ],
    calibrated: r.calibrated,
    presets,
    roc: thinRoc(result.roc),
    identify: r.identify ?? null,
  };
}

/** Writes `<dataDir>/calibration/last.json` and `roc.svg` atomically (temp file + rename). */
export async function saveCalibration(
  dataDir: string,
  result: EvalResult,
  facesDir: string,
): Promise<string[]> {
  const dir = join(dataDir, 'calibration');
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['roc.svg', evalRocSvg(result)],
    ['last.json', `${JSON.stringify(calibrationRecord(result, facesDir), null, 2)}\n`],
  ];
  for (const [name, text] of files) {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(dir, name));
  }
  return files.map(([name]) => join(dir, name));
}
