import { describe, expect, it } from 'vitest';
import { wasmSimdAvailable } from './fast-scan.js';
import { QuantisedVectors } from './quantised-vectors.js';
import { rerankKernelBytes, rerankKernelModule, rowLayout } from './rerank-kernel.js';
import { gaussian, randomUnit } from './synthetic-vectors.js';

/** Scores `slots` with the kernel (in batches of the store's depth), as the index does. */
function kernelScores(store: QuantisedVectors, slots: number[], query: Float32Array): Float32Array {
  const sorted = Int32Array.from(slots);
  const out = new Float32Array(slots.length).fill(Number.NaN);
  const step = store.prepareQuery(query);
  store.scoreRange(sorted, 0, sorted.length, step, out);
  return out;
}

describe.skipIf(!wasmSimdAvailable())('SIMD re-rank on 10-bit vectors, in place', () => {
  it.each([8, 64, 72, 192, 704])(
    'scores as QuantisedVectors.dot does, to float32 rounding (dimension %i)',
    (d) => {
      const normal = gaussian(d);
      const rows = 300;
      // Small segments, so that the candidates span three WebAssembly memories.
      const store = new QuantisedVectors(d, 64, { wasm: true, depth: 50, segmentRows: 128 });
      expect(store.simd).toBe(true);
      for (let i = 0; i < rows; i++) store.write(i, randomUnit(d, normal));
      for (const query of [randomUnit(d, normal), new Float32Array(d)]) {
        // Ascending, with repeats, across memories, more than one batch of 50.
        const slots = Array.from({ length: 140 }, (_, i) => (i * 37) % rows).sort((a, b) => a - b);
        const out = kernelScores(store, slots, query);
        slots.forEach((slot, i) => {
          expect(Math.abs((out[i] ?? Number.NaN) - store.dot(slot, query))).toBeLessThan(2e-7);
        });
      }
    },
  );

  it('scores only the given range and leaves the rest of the output alone', () => {
    const d = 16;
    const normal = gaussian(1);
    const store = new QuantisedVectors(d, 8, { wasm: true, depth: 4 });
    for (let i = 0; i < 6; i++) store.write(i, randomUnit(d, normal));
    const out = new Float32Array(6).fill(7);
    const slots = Int32Array.of(0, 1, 2, 3, 4, 5);
    const query = randomUnit(d, normal);
    store.scoreRange(slots, 1, 3, store.prepareQuery(query), out);
    expect([out[0], out[3], out[4], out[5]]).toEqual([7, 7, 7, 7]);
    expect(Math.abs((out[1] ?? 0) - store.dot(1, query))).toBeLessThan(2e-7);
    store.scoreRange(slots, 0, 0, 1, out);
  });

  it('lays rows out with aligned scales, and is built for dimensions in groups of 8 only', () => {
    expect(rowLayout(704)).toEqual({ scalesAt: 0, hiAt: 44, loAt: 748, stride: 924 });
    expect(rowLayout(8).stride % 4).toBe(0);
    expect(rerankKernelModule(12)).toBeNull();
    expect(() => rerankKernelBytes(12)).toThrow(/multiple of 8/);
    // Such a store keeps its rows in plain chunks and is scored in JavaScript.
    expect(new QuantisedVectors(12, 8, { wasm: true }).simd).toBe(false);
  });
});
