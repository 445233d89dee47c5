import { describe, expect, it } from 'vitest';
import { wasmSimdAvailable } from './fast-scan.js';
import { QuantisedVectors } from './quantised-vectors.js';
import { CompactRerank, rerankKernelBytes } from './rerank-kernel.js';
import { gaussian, randomUnit } from './synthetic-vectors.js';

describe.skipIf(!wasmSimdAvailable())('CompactRerank (WebAssembly SIMD re-rank on 10-bit vectors)', () => {
  it.each([8, 64, 72, 192, 704])(
    'scores as QuantisedVectors.dot does, to float32 rounding (dimension %i)',
    (d) => {
      const normal = gaussian(d);
      const rows = 300;
      const vectors = new QuantisedVectors(d, 64);
      for (let i = 0; i < rows; i++) vectors.write(i, randomUnit(d, normal));
      const rerank = CompactRerank.create(d, 128);
      if (!rerank) throw new Error('kernel expected');
      for (const query of [randomUnit(d, normal), new Float32Array(d)]) {
        // Slots out of order, repeated, and across storage chunks.
        const slots = Int32Array.from({ length: 128 }, (_, i) => (i * 37) % rows);
        const out = new Float32Array(128).fill(Number.NaN);
        rerank.score(vectors, slots, query, out);
        slots.forEach((slot, i) => {
          expect(Math.abs((out[i] ?? Number.NaN) - vectors.dot(slot, query))).toBeLessThan(2e-7);
        });
      }
    },
  );

  it('scores at most its capacity and leaves the rest of the output alone', () => {
    const d = 16;
    const normal = gaussian(1);
    const vectors = new QuantisedVectors(d, 8);
    for (let i = 0; i < 4; i++) vectors.write(i, randomUnit(d, normal));
    const rerank = CompactRerank.create(d, 2);
    if (!rerank) throw new Error('kernel expected');
    const out = new Float32Array(4).fill(7);
    rerank.score(vectors, Int32Array.of(3, 1, 0, 2), randomUnit(d, normal), out);
    expect(out[0]).not.toBe(7);
    expect(out[1]).not.toBe(7);
    expect([out[2], out[3]]).toEqual([7, 7]);
    rerank.score(vectors, new Int32Array(0), randomUnit(d, normal), out);
  });

  it('is built for dimensions in groups of 8 only (others re-rank in JavaScript)', () => {
    expect(CompactRerank.create(12, 8)).toBeNull();
    expect(() => rerankKernelBytes(12)).toThrow(/multiple of 8/);
  });
});
