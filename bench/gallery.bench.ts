/**
 * Gallery benchmark: identify latency over synthetic galleries of random unit vectors, exact vs product-quantised
 * (PqIndex), memory per template, and recall@1 of the approximate index against exact on genuine probes.
 *
 *   npm run bench:gallery -- [--dim 512] [--sizes 10000,100000,1000000] [--queries 200] [--exact-queries 30]
 *                            [--cos 0.4,0.6] [--subspaces 32] [--rerank 512]
 *
 * A genuine probe is a stored vector rotated to cosine `cos` with it (a typical same-person score); an impostor
 * probe is a fresh random vector. 1 M × 512 float32 is 2 GB of typed arrays (outside the V8 heap).
 */
import { PqIndex } from '../src/gallery/pq-index.js';

interface Args {
  dim: number;
  sizes: number[];
  queries: number;
  exactQueries: number;
  cos: number[];
  subspaces: number;
  rerank: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  return {
    dim: Number(get('dim', '512')),
    sizes: get('sizes', '10000,100000,1000000').split(',').map(Number),
    queries: Number(get('queries', '200')),
    exactQueries: Number(get('exact-queries', '30')),
    cos: get('cos', '0.4,0.6').split(',').map(Number),
    subspaces: Number(get('subspaces', '32')),
    rerank: Number(get('rerank', '512')),
  };
}

/** xorshift128+-style fast PRNG returning floats in [-1, 1). */
function rng(seed: number): () => number {
  let a = seed | 0 || 1;
  let b = (seed * 7919) | 0 || 2;
  return () => {
    let t = a;
    const s = b;
    a = s;
    t ^= t << 23;
    t ^= t >> 17;
    t ^= s ^ (s >> 26);
    b = t;
    return ((t + s) | 0) / 2147483648;
  };
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

function randomUnit(dim: number, next: () => number): Float32Array {
  const v = new Float32Array(dim);
  // Sum of two uniforms per component: close enough to Gaussian for a direction on the sphere at this dimension.
  for (let i = 0; i < dim; i++) v[i] = next() + next();
  return normalise(v);
}

/** A unit vector at cosine `cos` to unit vector `g`. */
function genuineProbe(g: Float32Array, cos: number, next: () => number): Float32Array {
  const n = randomUnit(g.length, next);
  let proj = 0;
  for (let i = 0; i < g.length; i++) proj += n[i]! * g[i]!;
  for (let i = 0; i < g.length; i++) n[i]! -= proj * g[i]!;
  normalise(n);
  const sin = Math.sqrt(1 - cos * cos);
  const q = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) q[i] = cos * g[i]! + sin * n[i]!;
  return normalise(q);
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

function latency(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Row {
  size: number;
  index: string;
  build: string;
  median: string;
  p95: string;
  bytesPerTemplate: string;
  recall: string;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  console.log(
    `gallery bench: dim ${args.dim}, node ${process.version}, ${args.queries} queries (exact at ≥100k: ${args.exactQueries}), genuine cos ${args.cos.join('/')}`,
  );
  for (const size of args.sizes) {
    const next = rng(size);
    global.gc?.();
    const before = process.memoryUsage();
    const index = new PqIndex(args.dim, {
      subspaces: args.subspaces,
      rerank: args.rerank,
      trainAt: Number.MAX_SAFE_INTEGER,
    });
    const stored: Float32Array[] = [];
    const keepEvery = Math.max(1, Math.floor(size / 2000));
    const buildMs = time(() => {
      for (let i = 0; i < size; i++) {
        const v = randomUnit(args.dim, next);
        index.add(`t${i}`, `e${i}`, v);
        if (i % keepEvery === 0) stored.push(v);
      }
    });
    global.gc?.();
    const afterExact = process.memoryUsage();
    // Typed arrays as allocated by the index, plus the JS heap of id maps (measured).
    const vectorBytes = index.memoryBytes();
    const exactBytes = vectorBytes + Math.max(0, afterExact.heapUsed - before.heapUsed);
    const trainMs = time(() => index.train());
    const pqExtra = index.memoryBytes() - vectorBytes;

    const genuine: Array<{ cos: number; q: Float32Array }> = [];
    for (let i = 0; i < args.queries; i++) {
      const cos = args.cos[i % args.cos.length]!;
      genuine.push({
        cos,
        q: genuineProbe(stored[Math.floor(((next() + 1) / 2) * stored.length)]!, cos, next),
      });
    }
    const impostors = Array.from({ length: Math.min(args.queries, 50) }, () => randomUnit(args.dim, next));

    for (const q of impostors.slice(0, 5)) {
      index.searchExact(q, 2);
      index.search(q, 2);
    }
    const exactCount = size >= 100_000 ? Math.min(args.exactQueries, genuine.length) : genuine.length;
    const exactTimes: number[] = [];
    const exactTop: string[] = [];
    for (let i = 0; i < exactCount; i++) {
      let hit = '';
      exactTimes.push(
        time(() => {
          hit = index.searchExact(genuine[i]!.q, 2)[0]?.ownerId ?? '';
        }),
      );
      exactTop.push(hit);
    }
    const pqTimes: number[] = [];
    const recallHits = new Map<number, [number, number]>();
    for (let i = 0; i < genuine.length; i++) {
      let hit = '';
      pqTimes.push(
        time(() => {
          hit = index.search(genuine[i]!.q, 2)[0]?.ownerId ?? '';
        }),
      );
      if (i < exactCount) {
        const cos = genuine[i]!.cos;
        const [ok, n] = recallHits.get(cos) ?? [0, 0];
        recallHits.set(cos, [ok + (hit === exactTop[i] ? 1 : 0), n + 1]);
      }
    }
    for (const q of impostors) pqTimes.push(time(() => index.search(q, 2)));
    const e = latency(exactTimes);
    const p = latency(pqTimes);
    rows.push({
      size,
      index: 'exact f32',
      build: `${(buildMs / 1000).toFixed(1)} s`,
      median: e.median.toFixed(2),
      p95: e.p95.toFixed(2),
      bytesPerTemplate: (exactBytes / size).toFixed(0),
      recall: '1 (reference)',
    });
    rows.push({
      size,
      index: `pq${args.subspaces}x4b+rerank${args.rerank}`,
      build: `+${(trainMs / 1000).toFixed(1)} s`,
      median: p.median.toFixed(2),
      p95: p.p95.toFixed(2),
      bytesPerTemplate: `+${(pqExtra / size).toFixed(0)}`,
      recall: [...recallHits].map(([cos, [ok, n]]) => `${(ok / n).toFixed(3)}@cos${cos} (n=${n})`).join(' '),
    });
    console.log(
      `  ${size}: built in ${(buildMs / 1000).toFixed(1)} s, index memory ${mb(index.memoryBytes())}, rss ${mb(process.memoryUsage().rss)}`,
    );
    // Release this gallery before building the next one.
    stored.length = 0;
  }
  console.log('\n| templates | index | build | median ms | p95 ms | bytes/template | recall@1 vs exact |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.size.toLocaleString('en')} | ${r.index} | ${r.build} | ${r.median} | ${r.p95} | ${r.bytesPerTemplate} | ${r.recall} |`,
    );
  }
}

main();
