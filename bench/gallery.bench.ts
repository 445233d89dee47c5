/**
 * Gallery benchmark: identify latency over synthetic galleries, exact float32 scan vs the product-quantised index
 * (PqIndex: fast scan of 4-bit codes, 10-bit re-rank) and, in the same run, the former quantised index with its
 * scalar JavaScript scan (`bench/baseline`), memory per template, and recall@1 of both against the exact float32 scan.
 *
 *   npm run bench:gallery -- [--dim 704] [--sizes 10000,100000,1000000] [--queries 200] [--exact-queries 30]
 *                            [--cos 0.4,0.6] [--subspaces N] [--rerank N] [--float-rerank] [--no-baseline]
 *                            [--scan wasm|typescript] [--dist iso|real] [--cache embeddings.jsonl] [--rank 32]
 *                            [--rng legacy] [--scan-threads 1|2]
 *
 * `--dist iso` (default): random unit vectors; a genuine probe is a stored vector turned to cosine `cos` with it.
 * `--dist real`: distractors drawn from mean + `rank` principal axes + isotropic remainder fitted to the embeddings
 * of a `facegate eval --cache` file (its dimension replaces `--dim`); each identity with two or more photos enrols
 * its first photo, and its other photos are the genuine probes. `--rng legacy` uses the benchmark's former
 * generator, whose period (2,792,790 draws) makes a 704-d gallery repeat every 126,945 vectors.
 * Sub-spaces and re-rank depth default to those the gallery picks for the dimension; `--scan-threads 1` keeps the
 * new index's scan on the calling thread (default 2: a helper thread scans part of the codes, as in the gallery). The quantised indexes train at
 * 50,000 templates as the gallery does, then encode the rest as they are added. The two quantised indexes are timed
 * on the same probes in alternation, so that both see the same load; the ratio is new / former. At 1 M templates the
 * process holds the three indexes, about 6 GB resident: run it alone.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ExactIndex } from '../src/gallery/exact-index.js';
import type { ScanEngine } from '../src/gallery/fast-scan.js';
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
import type { VectorHit } from '../src/gallery/vector-index.port.js';
import { ScalarPqIndex } from './baseline/scalar-pq-index.js';

interface Args {
  dim: number;
  sizes: number[];
  queries: number;
  exactQueries: number;
  cos: number[];
  subspaces: number | undefined;
  rerank: number | undefined;
  floatRerank: boolean;
  baseline: boolean;
  scan: ScanEngine | undefined;
  dist: 'iso' | 'real';
  cache: string;
  rank: number;
  legacyRng: boolean;
  scanThreads: 1 | 2;
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
    baseline: !argv.includes('--no-baseline'),
    scan: argv.includes('--scan') ? (get('scan', '') === 'typescript' ? 'typescript' : 'wasm') : undefined,
    dist: get('dist', 'iso') === 'real' ? 'real' : 'iso',
    cache: get('cache', ''),
    rank: Number(get('rank', '32')),
    legacyRng: get('rng', '') === 'legacy',
    scanThreads: get('scan-threads', '2') === '1' ? 1 : 2,
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
  /** The former quantised index (scalar scan), unless `--no-baseline`. */
  base: ScalarPqIndex | null;
  probes: Probe[];
  impostors: Float32Array[];
  /** Milliseconds spent adding to each index (the quantised ones include training and encoding). */
  addMs: { exact: number; pq: number; base: number };
  mapBytes: number;
}

/** Fills an exact float32 index and the quantised indexes with the same gallery and draws the probes. */
function build(args: Args, size: number, real: RealSet | null): Built {
  const normal = args.legacyRng ? legacyNormal(size) : gaussian(size);
  const dim = real ? real.dist.mean.length : args.dim;
  const draw = (): Float32Array => (real ? sampleEmbedding(real.dist, normal) : randomUnit(dim, normal));
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const exact = new ExactIndex(dim);
  const options = {
    ...(args.subspaces === undefined ? {} : { subspaces: args.subspaces }),
    ...(args.rerank === undefined ? {} : { rerank: args.rerank }),
    compact: !args.floatRerank,
  };
  const pq = new PqIndex(dim, {
    ...options,
    scanThreads: args.scanThreads,
    ...(args.scan === undefined ? {} : { scan: args.scan }),
  });
  const base = args.baseline ? new ScalarPqIndex(dim, options) : null;
  const kept: Float32Array[] = [];
  const keepEvery = Math.max(1, Math.floor(size / 2000));
  const addMs = { exact: 0, pq: 0, base: 0 };
  for (let i = 0; i < size; i++) {
    const v = real && i < real.enrolled.length ? real.enrolled[i]! : draw();
    const t0 = performance.now();
    exact.add(`t${i}`, `e${i}`, v);
    const t1 = performance.now();
    pq.add(`t${i}`, `e${i}`, v);
    const t2 = performance.now();
    base?.add(`t${i}`, `e${i}`, v);
    addMs.exact += t1 - t0;
    addMs.pq += t2 - t1;
    addMs.base += performance.now() - t2;
    if (i % keepEvery === 0) kept.push(v);
  }
  global.gc?.();
  // Ids and maps of one index (all hold the same).
  const mapBytes = (process.memoryUsage().heapUsed - heapBefore) / (base ? 3 : 2);
  const probes: Probe[] = real
    ? real.probes.map((p) => ({ label: 'real genuine', q: p.q }))
    : Array.from({ length: args.queries }, (_, i) => {
        const cos = args.cos[i % args.cos.length]!;
        const g = kept[Math.floor(Math.abs(normal() * 1e6)) % kept.length]!;
        return { label: `cos${cos}`, q: probeAtCosine(g, cos, normal) };
      });
  const impostors = Array.from({ length: Math.min(args.queries, 50) }, draw);
  return { exact, pq, base, probes, impostors, addMs, mapBytes };
}

interface Row {
  size: number;
  index: string;
  build: string;
  median: string;
  p95: string;
  ratio: string;
  bytesPerTemplate: string;
  recall: string;
}

type Searchable = Pick<PqIndex, 'search'>;

/** Recall@1 per probe label against the exact scan's best template, and the largest score difference on agreement. */
function recallOf(index: Searchable, checked: Probe[], reference: Array<VectorHit | undefined>): string {
  const recall = new Map<string, [number, number]>();
  let maxScoreError = 0;
  checked.forEach((p, i) => {
    const e = reference[i];
    const hit = index.search(p.q, 2)[0];
    const [ok, n] = recall.get(p.label) ?? [0, 0];
    recall.set(p.label, [ok + (hit?.templateId === e?.templateId ? 1 : 0), n + 1]);
    if (hit && e && hit.templateId === e.templateId)
      maxScoreError = Math.max(maxScoreError, Math.abs(hit.score - e.score));
  });
  return `${[...recall].map(([label, [ok, n]]) => `${(ok / n).toFixed(3)} ${label} (n=${n})`).join(', ')}; max |Δscore| ${maxScoreError.toExponential(1)}`;
}

interface Timings {
  wall: number[];
  cpu: number[];
}

const emptyTimings = (): Timings => ({ wall: [], cpu: [] });

/** Times the quantised indexes on the same queries, alternating which goes first. */
function timeQuantised(b: Built, queries: Float32Array[]): { pq: Timings; base: Timings } {
  const pq = emptyTimings();
  const base = emptyTimings();
  queries.forEach((q, i) => {
    const runPq = (): void => timed(() => b.pq.search(q, 2), pq.wall, pq.cpu);
    const runBase = (): void => {
      if (b.base) timed(() => b.base?.search(q, 2), base.wall, base.cpu);
    };
    if (i % 2 === 0) {
      runPq();
      runBase();
    } else {
      runBase();
      runPq();
    }
  });
  return { pq, base };
}

const fmt = (t: Timings): { median: string; p95: string; wall: number; cpu: number } => {
  const w = latency(t.wall);
  const c = latency(t.cpu);
  return {
    median: `${w.median.toFixed(2)} (${c.median.toFixed(2)})`,
    p95: w.p95.toFixed(2),
    wall: w.median,
    cpu: c.median,
  };
};

/** Times the indexes and measures recall@1 of the quantised ones against the exact float32 scan. */
function measure(args: Args, size: number, b: Built): Row[] {
  // Warm-up: the scans reach their optimised code (V8 tiers WebAssembly and JavaScript up after some calls).
  for (const q of [...b.impostors, ...b.impostors].slice(0, 60)) {
    b.pq.search(q, 2);
    b.base?.search(q, 2);
  }
  b.exact.search(b.impostors[0]!, 2);
  const exactCount = size >= 100_000 ? Math.min(args.exactQueries, b.probes.length) : b.probes.length;
  // Spread the exactly scanned probes over the labels and the real probe list.
  const step = b.probes.length / exactCount;
  const checked = Array.from({ length: exactCount }, (_, i) => b.probes[Math.floor(i * step)]!);
  const exactTimes = emptyTimings();
  const reference: Array<VectorHit | undefined> = [];
  for (const p of checked) {
    let e: VectorHit | undefined;
    timed(() => (e = b.exact.search(p.q, 2)[0]), exactTimes.wall, exactTimes.cpu);
    reference.push(e);
  }
  const queries = [...b.probes.slice(0, args.queries).map((p) => p.q), ...b.impostors];
  const t = timeQuantised(b, queries);
  const e = fmt(exactTimes);
  const p = fmt(t.pq);
  const { subspaces, rerank, compact } = b.pq.params;
  const perTemplate = (bytes: number): string =>
    `${(bytes / size).toFixed(0)} + ${(b.mapBytes / size).toFixed(0)} ids/maps`;
  const rows: Row[] = [
    {
      size,
      index: 'exact float32',
      build: `${(b.addMs.exact / 1000).toFixed(1)} s`,
      median: e.median,
      p95: e.p95,
      ratio: '',
      bytesPerTemplate: perTemplate(b.exact.memoryBytes()),
      recall: 'reference',
    },
  ];
  const label = `PQ ${subspaces} × 4 bit, ${compact ? '10-bit' : 'float32'} re-rank of ${rerank}`;
  if (b.base) {
    const f = fmt(t.base);
    rows.push({
      size,
      index: `${label}, scalar scan (former)`,
      build: `${(b.addMs.base / 1000).toFixed(1)} s`,
      median: f.median,
      p95: f.p95,
      ratio: '1.00',
      bytesPerTemplate: perTemplate(b.base.memoryBytes()),
      recall: recallOf(b.base, checked, reference),
    });
    rows.push({
      size,
      index: `${label}, fast scan (${b.pq.scan}, ${args.scanThreads === 2 ? 'two threads' : 'one thread'})`,
      build: `${(b.addMs.pq / 1000).toFixed(1)} s`,
      median: p.median,
      p95: p.p95,
      ratio: `${(p.wall / f.wall).toFixed(3)} (CPU ${(p.cpu / f.cpu).toFixed(3)})`,
      bytesPerTemplate: perTemplate(b.pq.memoryBytes()),
      recall: recallOf(b.pq, checked, reference),
    });
  } else {
    rows.push({
      size,
      index: `${label}, fast scan (${b.pq.scan}, ${args.scanThreads === 2 ? 'two threads' : 'one thread'})`,
      build: `${(b.addMs.pq / 1000).toFixed(1)} s`,
      median: p.median,
      p95: p.p95,
      ratio: '',
      bytesPerTemplate: perTemplate(b.pq.memoryBytes()),
      recall: recallOf(b.pq, checked, reference),
    });
  }
  return rows;
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
    console.log(
      `  ${size}: built, pq index ${mb(built.pq.memoryBytes())}, exact index ${mb(built.exact.memoryBytes())}, rss ${mb(process.memoryUsage().rss)}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    rows.push(...measure(args, size, built));
    console.log(
      `  ${size}: measured, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  }
  console.log(
    '\n| templates | index | build | median ms (CPU ms) | p95 ms | × former | bytes/template | recall@1 vs exact float32 |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.size.toLocaleString('en')} | ${r.index} | ${r.build} | ${r.median} | ${r.p95} | ${r.ratio} | ${r.bytesPerTemplate} | ${r.recall} |`,
    );
  }
}

main();
