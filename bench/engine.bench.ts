/**
 * Engine benchmark: median / p95 per pipeline stage and end to end, for a 640×480 one-face photo and for
 * the 1920-px group photos, in-process and through the worker pool. First the detectors (old pipeline: Human on
 * tfjs-wasm; new: MediaPipe's models on ONNX Runtime) run in turns within the same loop, so that all see the same
 * machine load, with per-stage times, CPU ms per image and their ratio to Human. Then the configured engine
 * (FACEGATE_* from the environment) is measured against other embedders the same way, with its ratio to fr_feature
 * alone (the bake-off's pipeline A). `npm run bench:engine [-- --runs N] [-- --detectors-only]`.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { createEngine } from '../src/app/local-engine.js';
import {
  type DeepPartial,
  type EmbedderId,
  type FacegateConfig,
  type FusionMember,
  loadConfig,
} from '../src/config/config.js';
import type { FaceEngine, StageTimings } from '../src/engine/face-engine.port.js';
import { faceCrop, groupPhoto } from '../test/fixtures/sample-faces.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 40;
const DETECTORS_ONLY = process.argv.includes('--detectors-only');
const STAGES = ['decode', 'detect', 'quality', 'align', 'embed', 'total'] as const;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Row {
  label: string;
  stages: Record<string, number[]>;
  wall: number[];
}

async function measure(label: string, engine: FaceEngine, images: Buffer[], runs: number, concurrency = 1) {
  const row: Row = { label, stages: Object.fromEntries(STAGES.map((s) => [s, []])), wall: [] };
  // Warm-up: one pass over the images.
  for (const img of images) await engine.analyze(img);
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const img = images[next++ % images.length]!;
      const t0 = performance.now();
      const a = await engine.analyze(img);
      row.wall.push(performance.now() - t0);
      for (const s of STAGES) {
        const v = (a.timings as StageTimings)[s];
        if (v !== undefined) row.stages[s]!.push(v);
      }
    }
  };
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - started) / 1000;
  // Process CPU time per image: less sensitive to other jobs on the machine than wall time (in-process only).
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  return { row, throughput: runs / seconds, cpuMs: label.startsWith('in-process') ? cpuMs : undefined };
}

/** The configured engine with these overrides (environment FACEGATE_* variables apply, NODE_ENV=test). */
function engineFor(engine: DeepPartial<FacegateConfig['engine']>): FaceEngine {
  return createEngine(loadConfig({ ...process.env, NODE_ENV: 'test' }, { engine }));
}

/** Each engine analyses the image in turn (cycling through `images`), `runs` times; returns one row per engine. */
async function compare(
  labelled: Array<[string, FaceEngine]>,
  images: Buffer | Buffer[],
  runs: number,
): Promise<Array<Row & { cpu: number[] }>> {
  const list = Array.isArray(images) ? images : [images];
  const rows = labelled.map(([label]) => ({
    label,
    stages: Object.fromEntries(STAGES.map((s) => [s, [] as number[]])),
    wall: [] as number[],
    cpu: [] as number[],
  }));
  for (const [, engine] of labelled) for (const image of list.slice(0, 3)) await engine.analyze(image);
  for (let i = 0; i < runs; i++) {
    const image = list[i % list.length]!;
    for (const [k, [, engine]] of labelled.entries()) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const a = await engine.analyze(image);
      rows[k]!.wall.push(performance.now() - t0);
      // Process CPU across all threads; the engines run one at a time here, so it is this call's.
      const cpu = process.cpuUsage(cpu0);
      rows[k]!.cpu.push((cpu.user + cpu.system) / 1000);
      for (const s of STAGES) {
        const v = (a.timings as StageTimings)[s];
        if (v !== undefined) rows[k]!.stages[s]!.push(v);
      }
    }
  }
  return rows;
}

function print(rows: Array<{ row: Row; throughput: number; cpuMs: number | undefined }>): void {
  const header = ['scenario', ...STAGES.map((s) => `${s} med/p95`), 'wall med/p95', 'img/s', 'cpu ms/img'];
  const lines = rows.map(({ row, throughput, cpuMs }) => [
    row.label,
    ...STAGES.map(
      (s) => `${quantile(row.stages[s]!, 0.5).toFixed(1)} / ${quantile(row.stages[s]!, 0.95).toFixed(1)}`,
    ),
    `${quantile(row.wall, 0.5).toFixed(1)} / ${quantile(row.wall, 0.95).toFixed(1)}`,
    throughput.toFixed(1),
    cpuMs === undefined ? '—' : cpuMs.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

/** Old (Human) and new (MediaPipe on ONNX Runtime) detector pipelines in turns, with the configured embedder. */
async function compareDetectors(vga: Buffer, groups: Buffer[]): Promise<void> {
  const contenders: Array<[string, FaceEngine]> = [
    ['human (old: tfjs-wasm)', engineFor({ workers: 0, detector: 'human' })],
    ['mediapipe-onnx (short range)', engineFor({ workers: 0, detector: 'mediapipe-onnx' })],
    ['mediapipe-onnx-full (full range)', engineFor({ workers: 0, detector: 'mediapipe-onnx-full' })],
  ];
  for (const [, e] of contenders) await e.load();
  const scenes: Array<[string, Buffer | Buffer[], number]> = [
    ['640×480, one face', vga, RUNS],
    ['1920-px group photos (6, in turn)', groups, Math.max(6, Math.ceil(RUNS / 2))],
  ];
  for (const [scene, images, runs] of scenes) {
    const rows = await compare(contenders, images, runs);
    const old = quantile(rows[0]!.wall, 0.5);
    const oldDetect = quantile(rows[0]!.stages.detect!, 0.5);
    console.log(`${scene}, in-process, detectors in turns (${runs} runs each; medians, ms):`);
    const header = `  ${'detector'.padEnd(34)} ${STAGES.map((st) => st.padStart(8)).join(' ')}   wall    p95   ×old  detect×old  cpu ms`;
    console.log(header);
    for (const row of rows) {
      const med = quantile(row.wall, 0.5);
      const stages = STAGES.map((st) => quantile(row.stages[st]!, 0.5).toFixed(1).padStart(8)).join(' ');
      const detect = quantile(row.stages.detect!, 0.5) / oldDetect;
      console.log(
        `  ${row.label.padEnd(34)} ${stages} ${med.toFixed(1).padStart(6)} ${quantile(row.wall, 0.95).toFixed(1).padStart(6)}  ${(med / old).toFixed(2).padStart(5)}  ${detect.toFixed(2).padStart(10)}  ${quantile(row.cpu, 0.5).toFixed(1).padStart(6)}`,
      );
    }
    console.log('');
  }
  for (const [, e] of contenders) await e.close();
}

async function main(): Promise<void> {
  const vga = await sharp(await faceCrop('s3-0'))
    .resize(640, 480, { fit: 'cover', position: 'top' })
    .jpeg({ quality: 90 })
    .toBuffer();
  const groups = await Promise.all(([1, 2, 3, 4, 5, 6] as const).map((n) => groupPhoto(n)));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`facegate engine benchmark — ${new Date().toISOString()} — ${availableParallelism()} × ${cpu}`);
  console.log(`runs per scenario: ${RUNS}; ms unless noted; stage times measured inside the engine`);
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  await compareDetectors(vga, groups);
  if (DETECTORS_ONLY) return;

  const single = (embedder: EmbedderId) => engineFor({ workers: 0, embedder, flipAugment: false });
  const fused = (fusion: FusionMember[]) =>
    engineFor({ workers: 0, embedder: 'fusion', flipAugment: false, fusion });
  const contenders: Array<[string, FaceEngine]> = [
    ['configured', engineFor({ workers: 0 })],
    ['fr_feature alone (baseline)', single('fr_feature')],
    ['mobilefacenet alone', single('mobilefacenet')],
    [
      'fr_feature*0.3+dlib*0.7',
      fused([
        { embedder: 'fr_feature', weight: 0.3 },
        { embedder: 'dlib', weight: 0.7 },
      ]),
    ],
    [
      'fr_feature*0.3+mobilefacenet*0.3+dlib*0.4',
      fused([
        { embedder: 'fr_feature', weight: 0.3 },
        { embedder: 'mobilefacenet', weight: 0.3 },
        { embedder: 'dlib', weight: 0.4 },
      ]),
    ],
  ];
  for (const [, e] of contenders) await e.load();
  const compared = await compare(contenders, vga, RUNS);
  const baseline = quantile(compared[1]!.wall, 0.5);
  console.log('640×480, one face, in-process, engines in turns (total = decode → embedding):');
  for (const [k, row] of compared.entries()) {
    const med = quantile(row.wall, 0.5);
    const model = contenders[k]![1].info.model;
    console.log(
      `  ${row.label.padEnd(44)} ${model.padEnd(52)} median ${med.toFixed(1).padStart(6)} ms  p95 ${quantile(row.wall, 0.95).toFixed(1).padStart(6)} ms  ×${(med / baseline).toFixed(2)} of baseline  cpu ${quantile(row.cpu, 0.5).toFixed(1).padStart(6)} ms`,
    );
  }
  console.log('');
  for (const [, e] of contenders) await e.close();

  const results = [];
  for (const flip of [false, true]) {
    const engine = engineFor({ workers: 0, flipAugment: flip });
    const t0 = performance.now();
    await engine.load();
    console.log(
      `${engine.info.model}: load + warm-up ${(performance.now() - t0).toFixed(0)} ms (in-process)`,
    );
    results.push(await measure(`in-process ${engine.info.model} 640×480`, engine, [vga], RUNS));
    results.push(
      await measure(`in-process ${engine.info.model} 1920 group`, engine, groups, Math.ceil(RUNS / 2)),
    );
    await engine.close();
  }
  const workers = availableParallelism();
  const pooled = engineFor({ workers });
  const t0 = performance.now();
  await pooled.load();
  console.log(
    `${pooled.info.model}: load + warm-up ${(performance.now() - t0).toFixed(0)} ms (${workers} workers)\n`,
  );
  results.push(
    await measure(`pool×${workers} ${pooled.info.model} 640×480, 1 at a time`, pooled, [vga], RUNS),
  );
  results.push(
    await measure(
      `pool×${workers} ${pooled.info.model} 640×480, ${workers * 2} concurrent`,
      pooled,
      [vga],
      RUNS,
      workers * 2,
    ),
  );
  results.push(
    await measure(`pool×${workers} ${pooled.info.model} 1920 group`, pooled, groups, Math.ceil(RUNS / 2)),
  );
  await pooled.close();
  print(results);
}

await main();
