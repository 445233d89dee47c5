import { describe, expect, it } from 'vitest';
import { FastScanCodes, MAX_SCAN_ROWS, pairLimit, quantiseTables, wasmSimdAvailable } from './fast-scan.js';
import { scanKernelBytes, wasmApi } from './fast-scan-kernel.js';
import { seededRandom } from './seeded-random.js';

const simd = wasmSimdAvailable();

/** Codes and tables of random data, written into both engines (wasm only when available). */
function fill(subspaces: number, rows: number, seed: number) {
  const random = seededRandom(seed);
  const engines = [
    new FastScanCodes(subspaces, 'typescript'),
    ...(simd ? [new FastScanCodes(subspaces, 'wasm')] : []),
  ];
  const all: Uint8Array[] = [];
  for (const e of engines) e.ensure(rows);
  for (let r = 0; r < rows; r++) {
    const codes = Uint8Array.from({ length: subspaces }, () => Math.floor(random() * 16));
    all.push(codes);
    for (const e of engines) e.set(r, codes);
  }
  const tables = new Uint8Array(subspaces * 16);
  const limit = pairLimit(subspaces / 2);
  // Entries up to half the pair limit each, so that every byte's two entries stay within it.
  for (let i = 0; i < tables.length; i++) tables[i] = Math.floor(random() * (Math.floor(limit / 2) + 1));
  for (const e of engines) e.setTables(tables);
  return { engines, codes: all, tables };
}

/** The scan's rows and scores, in its order. */
function run(codes: FastScanCodes, first: number, end: number, threshold: number): Array<[number, number]> {
  const n = codes.scan(first, end, threshold);
  return Array.from({ length: n }, (_, i) => [codes.outRows[i] ?? -1, codes.outScores[i] ?? -1]);
}

/** Score of one row straight from its codes: the sum of its sub-spaces' table entries. */
const naive = (codes: Uint8Array, tables: Uint8Array): number =>
  codes.reduce((sum, c, s) => sum + (tables[s * 16 + c] ?? 0), 0);

describe('fast scan of 4-bit codes', () => {
  it('runs the WebAssembly SIMD kernel on this runtime', () => {
    expect(simd).toBe(true);
    expect(wasmApi()?.validate(scanKernelBytes(24))).toBe(true);
  });

  it.each([
    [2, 1],
    [8, 15],
    [8, 16],
    [8, 17],
    [48, 1000],
    [64, 333],
  ])(
    'gives the same scores as the codes say, in both engines (%i sub-spaces, %i rows)',
    (subspaces, rows) => {
      const { engines, codes, tables } = fill(subspaces, rows, subspaces * 1000 + rows);
      for (const engine of engines) {
        const all = run(engine, 0, rows, -1).filter(([row]) => row < rows);
        expect(all.map(([row]) => row).sort((a, b) => a - b)).toEqual(codes.map((_, i) => i));
        for (const [row, score] of all) expect(score).toBe(naive(codes[row] ?? new Uint8Array(), tables));
      }
    },
  );

  it.skipIf(!simd).each([
    [8, 5000],
    [48, 4099],
    [96, 777],
  ])(
    'kernel and TypeScript reference emit identical rows and scores above any threshold (%i, %i)',
    (subspaces, rows) => {
      const { engines, codes, tables } = fill(subspaces, rows, 7 + subspaces);
      const [reference, kernel] = engines;
      if (!reference || !kernel) throw new Error('both engines expected');
      const scores = codes.map((c) => naive(c, tables)).sort((a, b) => a - b);
      const thresholds = [-1, 0, scores[rows >> 1] ?? 0, scores[rows - 20] ?? 0, scores[rows - 1] ?? 0];
      for (const threshold of thresholds) {
        // Whole range, an unaligned end, and a range starting mid-way.
        for (const [first, end] of [
          [0, rows],
          [0, rows - 3],
          [16 * Math.floor(rows / 32), rows],
        ] as const) {
          const expected = run(reference, first, end, threshold);
          expect(run(kernel, first, end, threshold)).toEqual(expected);
          for (const [row, score] of expected) {
            expect(score).toBeGreaterThan(threshold);
            if (row < rows) expect(score).toBe(naive(codes[row] ?? new Uint8Array(), tables));
          }
        }
      }
    },
  );

  it('keeps codes through growth and moves, and refuses scans it cannot hold', () => {
    const codes = new FastScanCodes(8, simd ? 'wasm' : 'typescript');
    const row = (r: number): Uint8Array => Uint8Array.from({ length: 8 }, (_, s) => (r * 3 + s) & 15);
    codes.ensure(10);
    for (let r = 0; r < 10; r++) codes.set(r, row(r));
    codes.ensure(200_000);
    expect(codes.capacity).toBeGreaterThanOrEqual(200_000);
    codes.set(199_999, row(5));
    codes.move(199_999, 3);
    for (let s = 0; s < 8; s++) {
      expect(codes.code(3, s)).toBe(row(5)[s]);
      expect(codes.code(9, s)).toBe(row(9)[s]);
    }
    expect(() => codes.scan(8, 16, -1)).toThrow(/block boundary/);
    expect(() => codes.scan(0, MAX_SCAN_ROWS + 16, -1)).toThrow(/too many/);
    expect(() => codes.setTables(new Uint8Array(3))).toThrow(/16 entries/);
    expect(() => new FastScanCodes(3)).toThrow(/even/);
  });
});

describe('quantiseTables', () => {
  it('keeps each byte within the pair limit and the order of row scores within rounding', () => {
    const subspaces = 48;
    const random = seededRandom(3);
    const single = Float32Array.from({ length: subspaces * 16 }, () => random() * 0.2 - 0.1);
    const tables = new Uint8Array(subspaces * 16);
    quantiseTables(single, subspaces, tables);
    const limit = pairLimit(subspaces / 2);
    for (let p = 0; p < subspaces / 2; p++) {
      const max = (s: number): number => Math.max(...tables.subarray(s * 16, s * 16 + 16));
      expect(max(2 * p) + max(2 * p + 1)).toBeLessThanOrEqual(limit);
      expect(Math.min(...tables.subarray(2 * p * 16, 2 * p * 16 + 16))).toBe(0);
    }
    // Row scores: the quantised score is the float score above the minima times one factor (the documented one:
    // the widest code byte's range maps to the pair limit less one), within half a level per sub-space.
    const range = (s: number): number => {
      const row = single.subarray(s * 16, s * 16 + 16);
      return Math.max(...row) - Math.min(...row);
    };
    let widest = 0;
    for (let p = 0; p < subspaces / 2; p++) widest = Math.max(widest, range(2 * p) + range(2 * p + 1));
    const factor = (limit - 1) / widest;
    for (let trial = 0; trial < 200; trial++) {
      const codes = Array.from({ length: subspaces }, () => Math.floor(random() * 16));
      let exact = 0;
      let quantised = 0;
      codes.forEach((c, s) => {
        const row = single.subarray(s * 16, s * 16 + 16);
        exact += (row[c] ?? 0) - Math.min(...row);
        quantised += tables[s * 16 + c] ?? 0;
      });
      expect(Math.abs(quantised - exact * factor)).toBeLessThanOrEqual(subspaces / 2 + 1);
    }
  });

  it('gives all-zero tables for a query that scores every centroid alike', () => {
    const tables = new Uint8Array(8 * 16).fill(9);
    quantiseTables(new Float32Array(8 * 16).fill(0.25), 8, tables);
    expect([...new Set(tables)]).toEqual([0]);
  });

  it('bounds the pair sums so that any number of pairs sums within a positive 16-bit score', () => {
    for (const pairs of [1, 24, 128, 129, 1000]) expect(pairs * pairLimit(pairs)).toBeLessThanOrEqual(32_767);
  });
});
