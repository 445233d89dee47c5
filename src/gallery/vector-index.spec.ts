import { describe, expect, it } from 'vitest';
import { ExactIndex } from './exact-index.js';
import { PqIndex } from './pq-index.js';
import type { VectorIndex } from './vector-index.port.js';

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296 - 0.5;
  };
}

function unit(dim: number, next: () => number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => next());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function near(v: Float32Array, next: () => number, noise = 0.3): Float32Array {
  const w = v.map((x) => x + noise * next() * (2 / Math.sqrt(v.length)) * 3);
  const n = Math.hypot(...w);
  return w.map((x) => x / n);
}

function bruteForce(vectors: Map<string, [string, Float32Array]>, q: Float32Array): Map<string, number> {
  const best = new Map<string, number>();
  for (const [, [owner, v]] of vectors) {
    const s = v.reduce((acc, x, i) => acc + x * q[i]!, 0);
    if (s > (best.get(owner) ?? Number.NEGATIVE_INFINITY)) best.set(owner, s);
  }
  return best;
}

const factories: Array<[string, (dim: number) => VectorIndex]> = [
  ['exact', (dim) => new ExactIndex(dim, 16)],
  ['pq (untrained)', (dim) => new PqIndex(dim, { chunkRows: 16, trainAt: 1e9 })],
];

describe.each(factories)('%s index', (_name, make) => {
  it('ranks owners by their best template, matching brute force, across chunk boundaries and removals', () => {
    const dim = 24;
    const next = seeded(7);
    const index = make(dim);
    const truth = new Map<string, [string, Float32Array]>();
    for (let i = 0; i < 100; i++) {
      const v = unit(dim, next);
      const owner = `e${i % 30}`;
      index.add(`t${i}`, owner, v);
      truth.set(`t${i}`, [owner, v]);
    }
    for (let i = 0; i < 100; i += 3) {
      expect(index.remove(`t${i}`)).toBe(true);
      truth.delete(`t${i}`);
    }
    expect(index.remove('t0')).toBe(false);
    expect(index.size).toBe(truth.size);
    for (let qi = 0; qi < 10; qi++) {
      const q = unit(dim, next);
      const expected = [...bruteForce(truth, q)].sort((a, b) => b[1] - a[1]).slice(0, 5);
      const hits = index.search(q, 5);
      expect(hits.map((h) => h.ownerId)).toEqual(expected.map(([o]) => o));
      hits.forEach((h, i) => {
        expect(h.score).toBeCloseTo(expected[i]![1], 5);
        expect(truth.get(h.templateId)?.[0]).toBe(h.ownerId);
      });
      expect(new Set(hits.map((h) => h.ownerId)).size).toBe(hits.length);
    }
  });

  it('filters owners, scores one owner, removes an owner', () => {
    const dim = 8;
    const next = seeded(3);
    const index = make(dim);
    const a = unit(dim, next);
    index.add('a1', 'A', a);
    index.add('a2', 'A', unit(dim, next));
    index.add('b1', 'B', near(a, next, 0.1));
    expect(index.search(a, 2)[0]!.ownerId).toBe('A');
    const report = { rejectedBest: null as import('./vector-index.port.js').VectorHit | null };
    expect(index.search(a, 2, (o) => o !== 'A', report).map((h) => h.ownerId)).toEqual(['B']);
    expect(report.rejectedBest).toMatchObject({ ownerId: 'A', templateId: 'a1' });
    index.search(a, 2, () => true, report);
    expect(report.rejectedBest).toBeNull();
    expect(index.ownerScore(a, 'A')).toMatchObject({ templateId: 'a1', ownerId: 'A' });
    expect(index.ownerScore(a, 'A')!.score).toBeCloseTo(1, 5);
    expect(index.ownerSize('A')).toBe(2);
    expect(index.removeOwner('A')).toBe(2);
    expect(index.ownerScore(a, 'A')).toBeNull();
    expect(index.ownerSize('A')).toBe(0);
    expect([...index.owners()]).toEqual(['B']);
    expect(index.search(a, 2).map((h) => h.ownerId)).toEqual(['B']);
  });

  it('replaces a template added twice and refuses another dimension', () => {
    const index = make(4);
    index.add('t', 'A', Float32Array.of(1, 0, 0, 0));
    index.add('t', 'B', Float32Array.of(0, 1, 0, 0));
    expect(index.size).toBe(1);
    expect(index.search(Float32Array.of(0, 1, 0, 0), 1)[0]).toMatchObject({ ownerId: 'B' });
    expect(() => index.add('u', 'A', new Float32Array(5))).toThrow(/dimension/);
  });
});

describe.each([16, 32])('PqIndex once trained (%i sub-spaces)', (subspaces) => {
  it('finds the genuine owner of noisy probes like exact search, and keeps codes right through swap-removes', () => {
    const dim = 64;
    const next = seeded(11);
    const index = new PqIndex(dim, { subspaces, trainAt: 400, rerank: 32, sample: 400, chunkRows: 64 });
    const vectors: Float32Array[] = [];
    for (let i = 0; i < 600; i++) {
      const v = unit(dim, next);
      vectors.push(v);
      index.add(`t${i}`, `e${i}`, v);
    }
    expect(index.trained).toBe(true);
    for (let i = 0; i < 600; i += 4) index.remove(`t${i}`);
    let agree = 0;
    for (let i = 1; i < 600; i += 8) {
      const q = near(vectors[i]!, next, 0.6);
      const exact = index.searchExact(q, 1)[0]!;
      const approx = index.search(q, 1)[0]!;
      expect(exact.ownerId).toBe(`e${i}`);
      if (approx.ownerId === exact.ownerId) {
        agree++;
        expect(approx.score).toBeCloseTo(exact.score, 5);
      }
    }
    expect(agree).toBe(Math.ceil(599 / 8));
  });
});

describe('PqIndex compact vectors', () => {
  const dim = 704;
  const build = (compact: boolean): { index: PqIndex; vectors: Float32Array[] } => {
    const next = seeded(21);
    const index = new PqIndex(dim, { trainAt: 300, sample: 300, iterations: 2, chunkRows: 256, compact });
    const vectors = Array.from({ length: 2048 }, () => unit(dim, next));
    vectors.forEach((v, i) => {
      index.add(`t${i}`, `e${i % 256}`, v);
    });
    return { index, vectors };
  };

  it('drops float32 once trained: at most 1 KB of vectors and codes per template at 704 dimensions', () => {
    const { index } = build(true);
    const { index: full } = build(false);
    expect(index.trained).toBe(true);
    expect(index.params).toEqual({ subspaces: 48, rerank: 1024, compact: true });
    // The codebooks, the scan's tables and heaps and the re-rank kernel's header are fixed per index.
    expect(index.workspaceBytes).toBeLessThanOrEqual(1.2 * 1024 * 1024);
    expect((index.memoryBytes() - index.workspaceBytes) / index.size).toBeLessThanOrEqual(1024);
    expect(full.memoryBytes() / full.size).toBeGreaterThan(4 * dim);
  });

  it('scores owners within 5e-4 of float32 once compact, through swap-removes and later adds', () => {
    const { index, vectors } = build(true);
    const next = seeded(5);
    for (let i = 0; i < 2048; i += 5) index.remove(`t${i}`);
    const late = unit(dim, next);
    index.add('late', 'L', late);
    expect(index.ownerScore(late, 'L')!.score).toBeCloseTo(1, 3);
    for (let i = 1; i < 2048; i += 25) {
      const q = near(vectors[i]!, next, 0.3);
      const exact = vectors[i]!.reduce((s, x, j) => s + x * q[j]!, 0);
      const hit = index.search(q, 1)[0]!;
      expect(hit.templateId).toBe(`t${i}`);
      expect(Math.abs(hit.score - exact)).toBeLessThan(5e-4);
    }
  });
});

describe('PqIndex scan engines', () => {
  it('finds the same templates with the WebAssembly kernels as with the TypeScript reference scan', () => {
    const dim = 96;
    const build = (scan: 'wasm' | 'typescript'): { index: PqIndex; vectors: Float32Array[] } => {
      const next = seeded(8);
      const index = new PqIndex(dim, {
        trainAt: 500,
        sample: 500,
        iterations: 2,
        rerank: 24,
        chunkRows: 128,
        scan,
      });
      const vectors = Array.from({ length: 1500 }, () => unit(dim, next));
      vectors.forEach((v, i) => {
        index.add(`t${i}`, `e${i % 700}`, v);
      });
      for (let i = 0; i < 1500; i += 7) index.remove(`t${i}`);
      return { index, vectors };
    };
    const wasm = build('wasm');
    const reference = build('typescript');
    expect([wasm.index.scan, reference.index.scan]).toEqual(['wasm', 'typescript']);
    const next = seeded(99);
    for (let i = 1; i < 1500; i += 13) {
      const q = near(wasm.vectors[i]!, next, 0.5);
      const a = wasm.index.search(q, 3);
      const b = reference.index.search(q, 3);
      expect(a.map((h) => h.templateId)).toEqual(b.map((h) => h.templateId));
      a.forEach((h, j) => {
        expect(Math.abs(h.score - b[j]!.score)).toBeLessThan(2e-7);
      });
    }
  });
});
