/**
 * Where a 1:N search of the quantised gallery index spends its time: per-stage medians over many probes, with the
 * code scan on one thread and on two (the caller and the helper thread), in alternation on the same probes so that
 * both see the same load.
 *
 *   npm run bench:gallery-stages -- [--size 1000000] [--dim 704] [--queries 200] [--cos 0.4,0.6] [--rerank N]
 *                                   [--rounds 2]
 *
 * The gallery is random unit vectors (as `bench:gallery --dist iso`), one template per employee; probes are stored
 * vectors turned to cosine `cos`, and a quarter random impostors. Stages of one `search(probe, 2)`:
 *
 * - tables: the query's score of every centroid, quantised to the scan's 8-bit tables;
 * - select: the fast scan of every row's codes into the heap of the best `rerank` rows (with two threads: both
 *   scan chunks, then the helper's heap is merged), and those rows read out in ascending order;
 * - re-rank: the candidates scored on their 10-bit vectors (SIMD, in place);
 * - owners: the candidates offered to the best-two-employees accumulator, and the hits built.
 *
 * Each stage is timed in wall milliseconds and in CPU milliseconds of the process (`process.cpuUsage`, every
 * thread: with two threads the helper's time counts too). On a shared machine wall time includes waiting for a
 * core; compare the variants within one run. The two variants' hits are compared too (they must be identical).
 */
import { loadavg } from 'node:os';
import type { OwnerTopK } from '../src/gallery/exact-index.js';
import { PqIndex } from '../src/gallery/pq-index.js';
import { gaussian, probeAtCosine, randomUnit } from '../src/gallery/synthetic-vectors.js';
import type { VectorHit } from '../src/gallery/vector-index.port.js';

interface Args {
  size: number;
  dim: number;
  queries: number;
  cos: number[];
  rerank: number | undefined;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  return {
    size: Number(get('size', '1000000')),
    dim: Number(get('dim', '704')),
    queries: Number(get('queries', '200')),
    cos: get('cos', '0.4,0.6').split(',').map(Number),
    rerank: argv.includes('--rerank') ? Number(get('rerank', '')) : undefined,
    rounds: Number(get('rounds', '2')),
  };
}

const STAGES = ['tables', 'select', 're-rank', 'owners', 'search'] as const;
type Stage = (typeof STAGES)[number];

/** Wall and CPU milliseconds per stage, one entry per search. */
type Samples = Record<Stage, { wall: number[]; cpu: number[] }>;

const emptySamples = (): Samples =>
  Object.fromEntries(STAGES.map((s) => [s, { wall: [], cpu: [] }])) as unknown as Samples;

/** Share of the chunks of rows the helper thread scanned, per two-thread search. */
const helperShare: number[] = [];
/** How far into the chunks the helper took its first (share of the chunks; 1 when it took none). */
const helperJoined: number[] = [];
/** Two-thread searches in which the caller scanned the chunk the helper was still on. */
let takenOver = 0;

/** The gallery index with its search cut into timed stages. */
class StagedPqIndex extends PqIndex {
  searchInStages(query: Float32Array, threads: 1 | 2, samples: Samples): VectorHit[] {
    const started = { wall: performance.now(), cpu: process.cpuUsage() };
    const stage = (name: Stage, fn: () => void): void => {
      const wall = performance.now();
      const cpu = process.cpuUsage();
      fn();
      const used = process.cpuUsage(cpu);
      samples[name].wall.push(performance.now() - wall);
      samples[name].cpu.push((used.user + used.system) / 1000);
    };
    let count = 0;
    let hits: VectorHit[] = [];
    const top: OwnerTopK = this.topK(2);
    stage('tables', () => this.loadTables(query));
    stage('select', () => {
      count = this.selectCandidates(threads);
    });
    if (threads === 2) {
      const run = this.lastSelection;
      helperShare.push(run ? run.helperChunks / run.chunks : 0);
      helperJoined.push(run && run.helperChunks > 0 ? run.helperFirstChunk / run.chunks : 1);
      if (run?.takenOver) takenOver++;
    }
    stage('re-rank', () => this.scoreCandidates(query, count));
    stage('owners', () => {
      this.offerCandidates(top, count);
      hits = this.hits(top);
    });
    const used = process.cpuUsage(started.cpu);
    samples.search.wall.push(performance.now() - started.wall);
    samples.search.cpu.push((used.user + used.system) / 1000);
    return hits;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(
    `gallery stages: ${args.size.toLocaleString('en')} random unit vectors, dim ${args.dim}, node ${process.version}, ${args.queries} probes × ${args.rounds} rounds, load average ${load()}`,
  );
  const normal = gaussian(args.size);
  const index = new StagedPqIndex(args.dim, args.rerank === undefined ? {} : { rerank: args.rerank });
  const kept: Float32Array[] = [];
  const keepEvery = Math.max(1, Math.floor(args.size / 2000));
  const t0 = performance.now();
  for (let i = 0; i < args.size; i++) {
    const v = randomUnit(args.dim, normal);
    index.add(`t${i}`, `e${i}`, v);
    if (i % keepEvery === 0) kept.push(v);
  }
  const { subspaces, rerank } = index.params;
  console.log(
    `  built in ${((performance.now() - t0) / 1000).toFixed(1)} s: PQ ${subspaces} × 4 bit, re-rank ${rerank}, scan ${index.scan}, ${(index.memoryBytes() / args.size).toFixed(0)} B/template, load average ${load()}`,
  );
  const probes = Array.from({ length: args.queries }, (_, i) =>
    i % 4 === 3
      ? randomUnit(args.dim, normal)
      : probeAtCosine(
          kept[Math.floor(Math.abs(normal() * 1e6)) % kept.length]!,
          args.cos[i % args.cos.length]!,
          normal,
        ),
  );
  // Warm-up: the helper thread starts at the first search and both kernels reach their optimised code.
  for (const q of probes.slice(0, 60)) {
    index.searchInStages(q, 2, emptySamples());
    index.searchInStages(q, 1, emptySamples());
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log(`  helper thread ready: ${index.helperReady}`);
  helperShare.length = 0;
  helperJoined.length = 0;
  takenOver = 0;
  const samples = { 1: emptySamples(), 2: emptySamples() };
  let different = 0;
  for (let round = 0; round < args.rounds; round++) {
    probes.forEach((q, i) => {
      const order: Array<1 | 2> = (i + round) % 2 === 0 ? [1, 2] : [2, 1];
      const [a, b] = order.map((threads) =>
        JSON.stringify(index.searchInStages(q, threads, samples[threads])),
      );
      if (a !== b) different++;
    });
  }
  const helped = helperShare.filter((share) => share > 0).length;
  console.log(
    `  measured, load average ${load()}; probes whose hits differ between 1 and 2 threads: ${different}; the helper scanned chunks in ${helped} of ${helperShare.length} two-thread searches, median share ${median(helperShare).toFixed(2)}, joining after a median ${median(helperJoined).toFixed(2)} of the chunks; the caller took over the helper's last chunk in ${takenOver}`,
  );
  console.log('\n| stage | 1 thread: median ms wall (CPU) | 2 threads: median ms wall (CPU) |');
  console.log('| --- | ---: | ---: |');
  for (const stage of STAGES) {
    const cell = (s: Samples): string =>
      `${median(s[stage].wall).toFixed(3)} (${median(s[stage].cpu).toFixed(3)})`;
    console.log(`| ${stage} | ${cell(samples[1])} | ${cell(samples[2])} |`);
  }
  await index.close();
}

await main();
