import { describe, expect, it } from 'vitest';
import { pqParamsFor } from './pq-params.js';

describe('pqParamsFor', () => {
  it('keeps the measured 512-d setting and widens the quantiser for the 704-d default embedder', () => {
    expect(pqParamsFor(512)).toEqual({ subspaces: 32, bits: 4, rerank: 512 });
    expect(pqParamsFor(704)).toEqual({ subspaces: 48, bits: 4, rerank: 1024 });
    expect(pqParamsFor(128)).toEqual({ subspaces: 8, bits: 4, rerank: 512 });
    expect(pqParamsFor(192)).toEqual({ subspaces: 16, bits: 4, rerank: 512 });
  });

  it('gives every dimension whole code words, sub-spaces of at most 16 dimensions and a deeper re-rank with size', () => {
    let lastRerank = 0;
    for (let d = 1; d <= 2048; d++) {
      const { subspaces, rerank } = pqParamsFor(d);
      expect(subspaces % 8).toBe(0);
      expect(subspaces).toBeGreaterThanOrEqual(8);
      if (d >= 128) expect(d / subspaces).toBeLessThanOrEqual(16);
      expect(rerank).toBeGreaterThanOrEqual(lastRerank);
      lastRerank = rerank;
    }
  });

  it('refuses a dimension that is not a positive integer', () => {
    expect(() => pqParamsFor(0)).toThrow(/dimension/);
    expect(() => pqParamsFor(70.5)).toThrow(/dimension/);
  });
});
