import { describe, expect, it } from 'vitest';
import { wasmSimdAvailable } from './fast-scan.js';
import { QuantisedVectors } from './quantised-vectors.js';
import { gaussian, probeAtCosine, randomUnit } from './synthetic-vectors.js';

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describe('QuantisedVectors', () => {
  it('scores within 5e-4 of float32 at 704 dimensions (half the thresholds’ 0.001 step)', () => {
    const normal = gaussian(5);
    const store = new QuantisedVectors(704, 64);
    const vectors = Array.from({ length: 200 }, () => randomUnit(704, normal));
    vectors.forEach((v, i) => {
      store.write(i, v);
    });
    let worst = 0;
    for (let i = 0; i < vectors.length; i++) {
      for (const q of [probeAtCosine(vectors[i]!, 0.5, normal), randomUnit(704, normal)]) {
        worst = Math.max(worst, Math.abs(store.dot(i, q) - dot(vectors[i]!, q)));
      }
    }
    expect(worst).toBeLessThan(5e-4);
    expect(worst).toBeGreaterThan(0);
  });

  it('reads back, copies and trims rows across chunks, for a dimension that is not a multiple of 4', () => {
    const normal = gaussian(9);
    const d = 7;
    const store = new QuantisedVectors(d, 4);
    const vectors = Array.from({ length: 11 }, () => randomUnit(d, normal));
    vectors.forEach((v, i) => {
      store.write(i, v);
    });
    const out = new Float32Array(d);
    store.read(9, out);
    for (let j = 0; j < d; j++) expect(out[j]).toBeCloseTo(vectors[9]![j]!, 2);
    store.copy(10, 1);
    expect(store.dot(1, vectors[10]!)).toBeCloseTo(1, 2);
    const before = store.bytes();
    store.trim(3);
    expect(store.bytes()).toBeLessThan(before);
    expect(store.dot(2, vectors[2]!)).toBeCloseTo(1, 2);
  });

  it('keeps a zero vector at zero and extreme components in range', () => {
    const store = new QuantisedVectors(4, 8);
    store.write(0, new Float32Array(4));
    expect(store.dot(0, Float32Array.of(1, 1, 1, 1))).toBe(0);
    store.write(1, Float32Array.of(-1, 1, -0.5, 0.25));
    const out = new Float32Array(4);
    store.read(1, out);
    // One level is 1/511 of the largest component: each value is within half a level.
    for (const [j, x] of [-1, 1, -0.5, 0.25].entries()) {
      expect(Math.abs(out[j]! - x)).toBeLessThanOrEqual(0.5 / 511 + 1e-7);
    }
  });

  it.skipIf(!wasmSimdAvailable())(
    'keeps rows in WebAssembly memories: grows a chunk at a time, copies across memories, releases whole memories',
    () => {
      const normal = gaussian(11);
      const d = 64;
      const store = new QuantisedVectors(d, 4, { wasm: true, depth: 8, segmentRows: 8 });
      const vectors = Array.from({ length: 20 }, () => randomUnit(d, normal));
      vectors.forEach((v, i) => {
        store.write(i, v);
      });
      const out = new Float32Array(d);
      store.read(17, out);
      for (let j = 0; j < d; j++) expect(out[j]).toBeCloseTo(vectors[17]![j]!, 2);
      // Row 19 (third memory) over row 2 (first memory), and within one memory.
      store.copy(19, 2);
      store.copy(9, 10);
      expect(store.dot(2, vectors[19]!)).toBeCloseTo(1, 2);
      expect(store.dot(10, vectors[9]!)).toBeCloseTo(1, 2);
      const before = store.bytes();
      expect(store.overheadBytes).toBeGreaterThan(0);
      store.trim(3);
      expect(store.bytes()).toBeLessThan(before);
      expect(store.dot(1, vectors[1]!)).toBeCloseTo(1, 2);
      // Written again after the trim: a new memory takes the place of the released one.
      store.write(16, vectors[5]!);
      expect(store.dot(16, vectors[5]!)).toBeCloseTo(1, 2);
    },
  );
});
