import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createEngine } from '../app/local-engine.js';
import { type EmbedderChoice, type FacegateConfig, loadConfig } from '../config/config.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import { runEvaluation } from '../eval/eval.service.js';
import { saveCalibration, writeEvalOutputs } from '../eval/eval-output.js';
import type { EvalReport } from '../eval/eval-report.js';

interface EvalCliOptions {
  faces: string;
  out?: string;
  identify?: boolean;
  embedder?: EmbedderChoice;
  flip?: boolean;
  limit?: number;
  cache?: string;
  saveCalibration?: boolean;
  minFaceSize?: number;
  workers: number;
}

/** Creates the engine `facegate eval` measures (replaced in tests). */
export type EvalEngineFactory = (config: FacegateConfig) => Promise<FaceEngine>;

const intAtLeast =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
  };
const positiveInt = intAtLeast(1);

async function defaultEngineFactory(config: FacegateConfig): Promise<FaceEngine> {
  return createEngine(config);
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${(x * 100).toFixed(2)} %`;
const num = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(4));

/** Human-readable lines printed before the JSON line. */
export function summaryLines(r: EvalReport): string[] {
  const lines = [
    `engine ${r.engine.engine}/${r.engine.model}@${r.engine.version} (embedder ${r.embedder}, flip ${r.flip ? 'on' : 'off'})`,
    `images ${r.images}, faces found ${r.detected}, identities ${r.identities}`,
    `pairs (${r.pairs_source}): ${r.genuine_pairs} genuine, ${r.impostor_pairs} impostor`,
    `TAR @ FAR 1e-2 ${pct(r['tar_at_far_1e-2'])} (thr ${num(r['threshold_at_far_1e-2'])}), ` +
      `1e-3 ${pct(r['tar_at_far_1e-3'])} (thr ${num(r['threshold_at_far_1e-3'])}), ` +
      `1e-4 ${pct(r['tar_at_far_1e-4'])} (thr ${num(r['threshold_at_far_1e-4'])})`,
    `EER ${pct(r.eer)}, AUC ${num(r.auc)}, LFW protocol ${r.lfw_accuracy === null ? 'n/a (no lfw_pairs.tsv)' : `${pct(r.lfw_accuracy)} ± ${pct(r.lfw_accuracy_std)}`}`,
    `calibrated thresholds: strict ${num(r.calibrated.strict)}, balanced ${num(r.calibrated.balanced)}, lenient ${num(r.calibrated.lenient)}`,
    `ms per image: median ${r.ms_per_image_median ?? '–'}, p95 ${r.ms_per_image_p95 ?? '–'}`,
  ];
  if (r.identify) {
    const i = r.identify;
    lines.push(
      `1:N: gallery ${i.gallery_identities}, mated ${i.mated_probes}, non-mated ${i.non_mated_probes}; rank-1 ${pct(i.rank1)}, ` +
        `FNIR @ FPIR 1 % ${pct(i['fnir_at_fpir_1e-2'])} (margin ${i.margin}: ${pct(i['fnir_at_fpir_1e-2_with_margin'])})`,
    );
    for (const [name, p] of Object.entries(i.presets)) {
      lines.push(
        `  ${name} (thr ${num(p.threshold)}): FPIR ${pct(p.fpir)} / FNIR ${pct(p.fnir)}; with margin FPIR ${pct(p.fpir_with_margin)} / FNIR ${pct(p.fnir_with_margin)}`,
      );
    }
  }
  return lines;
}

/** Registers `facegate eval`. */
export function registerEvalCommands(
  program: Command,
  engineFactory: EvalEngineFactory = defaultEngineFactory,
): void {
  program
    .command('eval')
    .description(
      'Measure accuracy on a folder of <identity>/<image> photos (optional pairs.tsv "a b same" and ' +
        'lfw_pairs.tsv "a b same fold"); the last stdout line is one JSON object',
    )
    .requiredOption('--faces <dir>', 'folder of <identity>/<image> photos')
    .option('--out <dir>', 'write report.json, scores.csv, lfw_scores.csv, identify.csv and roc.svg there')
    .option('--identify', 'also measure open-set 1:N identification (gallery = first photo per identity)')
    .addOption(
      new Option('--embedder <name>', 'embedding model').choices([
        'fr_feature',
        'mobilefacenet',
        'dlib',
        'fusion',
      ]),
    )
    .option('--flip', 'average the embeddings of the image and its mirror')
    .option('--no-flip', 'embed the image only')
    .option('--limit <n>', 'use at most n images (whole identities, in name order)', positiveInt)
    .option('--cache <file>', 'embedding cache (JSON lines); re-runs only embed new images')
    .option('--save-calibration', 'write <dataDir>/calibration/last.json and roc.svg for the admin UI')
    .option('--min-face-size <px>', 'minimum face size in pixels for detection', positiveInt)
    .option('--workers <n>', 'engine worker threads (0 = in this thread)', intAtLeast(0), 2)
    .action((opts: EvalCliOptions) => runEvalCommand(opts, engineFactory));
}

/** `facegate eval`: embeds the faces, measures, writes the outputs asked for, prints the summary and JSON. */
async function runEvalCommand(opts: EvalCliOptions, engineFactory: EvalEngineFactory): Promise<void> {
  const base = loadConfig(process.env);
  const config = loadConfig(process.env, {
    engine: {
      embedder: opts.embedder ?? base.engine.embedder,
      flipAugment: opts.flip ?? base.engine.flipAugment,
      workers: opts.workers,
    },
  });
  const engine = await engineFactory(config);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'embedding [{bar}] {percentage}% | {value}/{total} images | ETA {eta_formatted}',
      hideCursor: null,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    const result = await runEvaluation(
      engine,
      {
        faces: resolve(opts.faces),
        identify: opts.identify === true,
        embedder: config.engine.embedder,
        flip: config.engine.flipAugment,
        margin: config.match.margin,
        // one image per worker at a time, so that engine timings exclude queueing
        concurrency: Math.max(1, opts.workers),
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        ...(opts.cache === undefined ? {} : { cacheFile: resolve(opts.cache) }),
        ...(opts.minFaceSize === undefined ? {} : { minFaceSize: opts.minFaceSize }),
      },
      {
        onStart: (total) => bar.start(total, 0),
        onImage: (done) => bar.update(done),
        onEmbedded: () => bar.stop(),
      },
    );
    const written: string[] = [];
    if (opts.out) written.push(...(await writeEvalOutputs(resolve(opts.out), result)));
    if (opts.saveCalibration) written.push(...(await saveCalibration(config.dataDir, result, opts.faces)));
    const lines = summaryLines(result.report);
    for (const file of written) lines.push(`wrote ${file}`);
    process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(result.report)}\n`);
  } finally {
    bar.stop();
    await engine.close();
  }
}
