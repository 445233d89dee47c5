/**
 * Gallery benchmark: identify latency over synthetic galleries, exact float32 scan vs the product-quantised index
 * (PqIndex, 10-bit re-rank), memory per template, and recall@1 of the quantised index against the exact float32 scan.
 *
 *   npm run bench:gallery -- [--dim 704] [--sizes 10000,100000,1000000] [--queries 200] [--exact-queries 30]
 *                            [--cos 0.4,0.6] [--subspaces N] [--rerank N] [--float-rerank]
 *                            [--dist iso|real] [--cache embeddings.jsonl] [--rank 32] [--rng legacy]
 *
 * `--dist iso` (default): random unit vectors; a genuine probe is a stored vector turned to cosine `cos` with it.
 * `--dist real`: distractors drawn from mean + `rank` principal axes + isotropic remainder fitted to the embeddings
 * of a `facegate eval --cache` file (its dimension replaces `--dim`); each identity with two or more photos enrols
 * its first photo, and its other photos are the genuine probes. `--rng legacy` uses the benchmark's former
 * generator, whose period (2,792,790 draws) makes a 704-d gallery repeat every 126,945 vectors.
 * Sub-spaces and re-rank depth default to those the gallery picks for the dimension. At 1 M templates the process
 * holds both indexes, about 7.5 GB resident: run it alone.
 */
import { readFileSync } from 'node:fs';
import { ExactIndex } from '../src/gallery/exact-index.js';
import { PqIndex } from '../src/gallery/pq-index.js';
import { QuantisedVectors } from '../src/gallery/quantised-vectors.js';
import {
  type EmbeddingDistribution,
  fitEmbeddingDistribution,
  gaussian,
  normaliseInPlace,
  probeAtCosine,
  randomUnit,
  sampleEmbedding,
} from '../src/gallery/synthetic-vectors.js';

interface Args {
  dim: number;
  sizes: number[];
  queries: number;
  exactQueries: number;
  cos: number[];
  subspaces: number | undefined;
  rerank: number | undefined;
  floatRerank: boolean;
  dist: 'iso' | 'real';
  cache: string;
  rank: number;
  legacyRng: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const optional = (name: string): number | undefined =>
    argv.includes(`--${name}`) ? Number(get(name, '')) : undefined;
  return {
    dim: Number(get('dim', '704')),
    sizes: get('sizes', '10000,100000,1000000').split(',').map(Number),
    queries: Number(get('queries', '200')),
    exactQueries: Number(get('exact-queries', '30')),
    cos: get('cos', '0.4,0.6').split(',').map(Number),
    subspaces: optional('subspaces'),
    rerank: optional('rerank'),
    floatRerank: argv.includes('--float-rerank'),
    dist: get('dist', 'iso') === 'real' ? 'real' : 'iso',
    cache: get('cache', ''),
    rank: Number(get('rank', '32')),
    legacyRng: get('rng', '') === 'legacy',
  };
}

/** The benchmark's former generator, kept to reproduce its duplicate galleries (`--rng legacy`). */
function legacyNormal(seed: number): () => number {
  let a = seed | 0 || 1;
  let b = (seed * 7919) | 0 || 2;
  const next = (): number => {
    let t = a;
    const s = b;
    a = s;
    t ^= t << 23;
    t ^= t >> 17;
    t ^= s ^ (s >> 26);
    b = t;
    return ((t + s) | 0) / 2147483648;
  };
  return () => next() + next();
}

interface RealSet {
  dist: EmbeddingDistribution;
  enrolled: Float32Array[];
  probes: Array<{ owner: number; q: Float32Array }>;
}

/** Reads a `facegate eval --cache` file: fits the distribution, splits identities into enrolled and probes. */
function loadReal(file: string, rank: number): RealSet {
  const byIdentity = new Map<string, Float32Array[]>();
  const all: Float32Array[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as { rel: string; embedding: string | null };
    if (!entry.embedding) continue;
    const bytes = Buffer.from(entry.embedding, 'base64');
    const v = normaliseInPlace(
      new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    );
    all.push(v);
    const identity = entry.rel.split('/')[0]!;
    byIdentity.set(identity, [...(byIdentity.get(identity) ?? []), v]);
  }
  const enrolled: Float32Array[] = [];
  const probes: RealSet['probes'] = [];
  for (const photos of byIdentity.values()) {
    if (photos.length < 2) continue;
    for (const q of photos.slice(1)) probes.push({ owner: enrolled.length, q });
    enrolled.push(photos[0]!);
  }
  console.log(
    `real embeddings: ${all.length} from ${file}, ${enrolled.length} enrolled identities, ${probes.length} genuine probes, fitted rank ${rank}`,
  );
  scoreError(all);
  return { dist: fitEmbeddingDistribution(all, rank), enrolled, probes };
}

/** Prints how far the 10-bit scores of every pair of real embeddings fall from their float32 cosines. */
function scoreError(all: Float32Array[]): void {
  const store = new QuantisedVectors(all[0]!.length, all.length);
  all.forEach((v, i) => {
    store.write(i, v);
  });
  const errors: number[] = [];
  for (let a = 0; a < all.length; a++) {
    for (let b = 0; b < all.length; b++) {
      if (a === b) continue;
      let exact = 0;
      for (let j = 0; j < all[a]!.length; j++) exact += all[a]![j]! * all[b]![j]!;
      errors.push(Math.abs(store.dot(a, all[b]!) - exact));
    }
  }
  errors.sort((x, y) => x - y);
  console.log(
    `10-bit vs float32 score over ${errors.length.toLocaleString('en')} real pairs: |error| median ${percentile(errors, 0.5).toExponential(1)}, p99.9 ${percentile(errors, 0.999).toExponential(1)}, max ${errors[errors.length - 1]!.toExponential(1)}`,
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** CPU time of this process (ms) spent in `fn`: on a shared machine, waiting for a core is not search time. */
function cpuTime(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function latency(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

/** Wall and CPU milliseconds of one search. */
function timed(fn: () => void, wall: number[], cpu: number[]): void {
  let w = 0;
  cpu.push(cpuTime(() => (w = time(fn))));
  wall.push(w);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Probe {
  label: string;
  q: Float32Array;
}

interface Built {
  exact: ExactIndex;
  pq: PqIndex;
  probes: Probe[];
  impostors: Float32Array[];
  buildMs: number;
  trainMs: number;
  mapBytes: number;
}

/** Fills an exact float32 index and a PQ index with the same gallery and draws the probes. */
function build(args: Args, size: number, real: RealSet | null): Built {
  const normal = args.legacyRng ? legacyNormal(size) : gaussian(size);
  const dim = real ? real.dist.mean.length : args.dim;
  const draw = (): Float32Array => (real ? sampleEmbedding(real.dist, normal) : randomUnit(dim, normal));
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const exact = new ExactIndex(dim);
  const pq = new PqIndex(dim, {
    ...(args.subspaces === undefined ? {} : { subspaces: args.subspaces }),
    ...(args.rerank === undefined ? {} : { rerank: args.rerank }),
    compact: !args.floatRerank,
    trainAt: Number.MAX_SAFE_INTEGER,
  });
  const kept: Float32Array[] = [];
  const keepEvery = Math.max(1, Math.floor(size / 2000));
  const buildMs = time(() => {
    for (let i = 0; i < size; i++) {
      const v = real && i < real.enrolled.length ? real.enrolled[i]! : draw();
      exact.add(`t${i}`, `e${i}`, v);
      pq.add(`t${i}`, `e${i}`, v);
      if (i % keepEvery === 0) kept.push(v);
    }
  });
  global.gc?.();
  // Ids and maps of one index (both hold the same).
  const mapBytes = (process.memoryUsage().heapUsed - heapBefore) / 2;
  const trainMs = time(() => pq.train());
  const probes: Probe[] = real
    ? real.probes.map((p) => ({ label: 'real genuine', q: p.q }))
    : Array.from({ length: args.queries }, (_, i) => {
        const cos = args.cos[i % args.cos.length]!;
        const g = kept[Math.floor(Math.abs(normal() * 1e6)) % kept.length]!;
        return { label: `cos${cos}`, q: probeAtCosine(g, cos, normal) };
      });
  const impostors = Array.from({ length: Math.min(args.queries, 50) }, draw);
  return { exact, pq, probes, impostors, buildMs, trainMs, mapBytes };
}

interface Row {
  size: number;
  index: string;
  build: string;
  median: string;
  p95: string;
  bytesPerTemplate: string;
  recall: string;
}

/** Times both indexes and measures recall@1 of the PQ index against the exact float32 scan. */
function measure(args: Args, size: number, b: Built): Row[] {
  for (const q of b.impostors.slice(0, 5)) {
    b.exact.search(q, 2);
    b.pq.search(q, 2);
  }
  const exactCount = size >= 100_000 ? Math.min(args.exactQueries, b.probes.length) : b.probes.length;
  // Spread the exactly scanned probes over the labels and the real probe list.
  const step = b.probes.length / exactCount;
  const checked = Array.from({ length: exactCount }, (_, i) => b.probes[Math.floor(i * step)]!);
  const exactTimes: number[] = [];
  const exactCpu: number[] = [];
  const recall = new Map<string, [number, number]>();
  let maxScoreError = 0;
  for (const p of checked) {
    let e = b.exact.search(p.q, 2)[0];
    timed(() => (e = b.exact.search(p.q, 2)[0]), exactTimes, exactCpu);
    const hit = b.pq.search(p.q, 2)[0];
    const [ok, n] = recall.get(p.label) ?? [0, 0];
    recall.set(p.label, [ok + (hit?.templateId === e?.templateId ? 1 : 0), n + 1]);
    if (hit && e && hit.templateId === e.templateId)
      maxScoreError = Math.max(maxScoreError, Math.abs(hit.score - e.score));
  }
  const pqTimes: number[] = [];
  const pqCpu: number[] = [];
  for (const p of b.probes.slice(0, args.queries)) timed(() => b.pq.search(p.q, 2), pqTimes, pqCpu);
  for (const q of b.impostors) timed(() => b.pq.search(q, 2), pqTimes, pqCpu);
  const e = latency(exactTimes);
  const p = latency(pqTimes);
  const { subspaces, rerank, compact } = b.pq.params;
  const exactBytes = b.exact.memoryBytes();
  return [
    {
      size,
      index: 'exact float32',
      build: `${(b.buildMs / 1000).toFixed(1)} s (both)`,
      median: `${e.median.toFixed(2)} (${latency(exactCpu).median.toFixed(2)})`,
      p95: e.p95.toFixed(2),
      bytesPerTemplate: `${(exactBytes / size).toFixed(0)} + ${(b.mapBytes / size).toFixed(0)} ids/maps`,
      recall: 'reference',
    },
    {
      size,
      index: `PQ ${subspaces} × 4 bit, ${compact ? '10-bit' : 'float32'} re-rank of ${rerank}`,
      build: `+ ${(b.trainMs / 1000).toFixed(1)} s`,
      median: `${p.median.toFixed(2)} (${latency(pqCpu).median.toFixed(2)})`,
      p95: p.p95.toFixed(2),
      bytesPerTemplate: `${(b.pq.memoryBytes() / size).toFixed(0)} + ${(b.mapBytes / size).toFixed(0)} ids/maps`,
      recall: `${[...recall].map(([label, [ok, n]]) => `${(ok / n).toFixed(3)} ${label} (n=${n})`).join(', ')}; max |Δscore| ${maxScoreError.toExponential(1)}`,
    },
  ];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const real = args.dist === 'real' ? loadReal(args.cache, args.rank) : null;
  const dim = real ? real.dist.mean.length : args.dim;
  console.log(
    `gallery bench: ${args.dist} vectors, dim ${dim}, node ${process.version}, ${args.queries} queries (exact at ≥100k: ${args.exactQueries})${real ? '' : `, genuine cos ${args.cos.join('/')}`}${args.legacyRng ? ', legacy generator' : ''}`,
  );
  const rows: Row[] = [];
  for (const size of args.sizes) {
    const built = build(args, size, real);
    rows.push(...measure(args, size, built));
    console.log(
      `  ${size}: built in ${(built.buildMs / 1000).toFixed(1)} s, pq index ${mb(built.pq.memoryBytes())}, exact index ${mb(built.exact.memoryBytes())}, rss ${mb(process.memoryUsage().rss)}`,
    );
  }
  console.log(
    '\n| templates | index | build | median ms (CPU ms) | p95 ms | bytes/template | recall@1 vs exact float32 |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.size.toLocaleString('en')} | ${r.index} | ${r.build} | ${r.median} | ${r.p95} | ${r.bytesPerTemplate} | ${r.recall} |`,
    );
  }
}

main();
