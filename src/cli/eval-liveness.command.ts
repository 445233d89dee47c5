import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { createEngine } from '../app/local-engine.js';
import { loadConfig } from '../config/config.js';
import { evaluateLiveness, type LivenessEvalReport } from '../eval/liveness-eval.js';
import { FrLivenessModel } from '../liveness/fr-liveness.model.js';
import { LivenessVerifier, livenessLimitsFor } from '../liveness/liveness.verifier.js';

interface EvalLivenessOptions {
  dir: string;
  frames: number;
  maxSide: number;
  passive: boolean;
}

const intAtLeast =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
  };

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** Human-readable lines printed before the JSON line. */
export function livenessSummaryLines(r: LivenessEvalReport): string[] {
  const lines = [
    `attacks ${r.attacks}, APCER ${pct(r.apcer)}; bona fide ${r.bonafide}, BPCER ${pct(r.bpcer)}`,
    ...Object.entries(r.checks).map(
      ([check, c]) => `  ${check}: failed ${c.attackFailed} attacks, ${c.bonafideFailed} bona fide`,
    ),
    ...Object.entries(r.passive).map(([model, p]) => `  passive ${model}: AUC ${p.auc.toFixed(3)}`),
  ];
  for (const { file, reason } of r.excludedLiveClips) lines.push(`  excluded from BPCER: ${file}: ${reason}`);
  return lines;
}

/** Registers `facegate eval-liveness --dir DIR` (DIR holds `live/` and `spoof/` stills and clips). */
export function registerEvalLivenessCommand(program: Command): void {
  program
    .command('eval-liveness')
    .description(
      'Measure the liveness challenge on a folder with live/ and spoof/ (stills and/or clips, decoded with ' +
        'ffmpeg); the last stdout line is one JSON object with top-level apcer and bpcer',
    )
    .requiredOption('--dir <dir>', 'folder holding live/ and spoof/')
    .option('--frames <n>', 'key frames per clip', intAtLeast(4), 12)
    .option('--max-side <px>', 'longest side of decoded frames', intAtLeast(64), 480)
    .option('--no-passive', 'do not score stills with the passive model (fr_liveness)')
    .action((opts: EvalLivenessOptions) => runEvalLiveness(opts));
}

async function runEvalLiveness(opts: EvalLivenessOptions): Promise<void> {
  const config = loadConfig(process.env, { engine: { workers: 0 } });
  const engine = createEngine(config);
  // The limits the server uses with this detector (its blink limit differs per face mesh).
  const verifier = new LivenessVerifier(livenessLimitsFor(config.engine.detector));
  const passive = opts.passive ? new FrLivenessModel() : undefined;
  try {
    await engine.load();
    process.stderr.write(`detector ${config.engine.detector}\n`);
    const report = await evaluateLiveness(engine, resolve(opts.dir), {
      frames: opts.frames,
      maxSide: opts.maxSide,
      verifier,
      ...(passive ? { passive } : {}),
      onItem: (name) => process.stderr.write(`${name}\n`),
    });
    for (const line of livenessSummaryLines(report)) process.stdout.write(`${line}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await passive?.close();
    await engine.close();
  }
}
