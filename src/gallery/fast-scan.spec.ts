import { describe, expect, it } from 'vitest';
import { FastScanCodes, pairLimit, quantiseTables, wasmSimdAvailable } from './fast-scan.js';
import { laneMask, selectKernelBytes, wasmApi } from './fast-scan-kernel.js';
import { seededRandom } from './seeded-random.js';

const simd = wasmSimdAvailable();

/**
 * Codes and tables of random data, written into both engines (wasm only when available). `levels` bounds the table
 * entries, so that a small value makes many rows score alike (ties are broken by the lower row).
 */
function fill(subspaces: number, rows: number, depth: number, seed: number, levels?: number) {
  const random = seededRandom(seed);
  const engines = [
    new FastScanCodes(subspaces, depth, 'typescript'),
    ...(simd ? [new FastScanCodes(subspaces, depth, 'wasm')] : []),
  ];
  const all: Uint8Array[] = [];
  // Rows past `rows` carry codes too (a removed row's stale codes): they must never be selected.
  const stored = Math.ceil((rows + 1) / 16) * 16 + 16;
  for (const e of engines) e.ensure(stored);
  for (let r = 0; r < stored; r++) {
    const codes = Uint8Array.from({ length: subspaces }, () => Math.floor(random() * 16));
    if (r < rows) all.push(codes);
    for (const e of engines) e.set(r, r < rows ? codes : new Uint8Array(subspaces).fill(15));
  }
  const tables = new Uint8Array(subspaces * 16);
  const limit = pairLimit(subspaces / 2);
  // Entries up to half the pair limit each, so that every byte's two entries stay within it.
  const top = Math.min(levels ?? Number.POSITIVE_INFINITY, Math.floor(limit / 2));
  for (let i = 0; i < tables.length; i++) tables[i] = Math.floor(random() * (top + 1));
  // The stale rows' code (15) scores highest of all.
  for (let s = 0; s < subspaces; s++) tables[s * 16 + 15] = top;
  for (const e of engines) e.setTables(tables);
  return { engines, codes: all, tables };
}

/** Score of one row straight from its codes: the sum of its sub-spaces' table entries. */
const naive = (codes: Uint8Array, tables: Uint8Array): number =>
  codes.reduce((sum, c, s) => sum + (tables[s * 16 + c] ?? 0), 0);

/** The rows a heap of `depth` must keep: best score first, the lower row among equal scores; ascending. */
function expectedRows(codes: Uint8Array[], tables: Uint8Array, depth: number, from = 0, to = codes.length) {
  return codes
    .map((c, row) => ({ row, score: naive(c, tables) }))
    .slice(from, to)
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, depth)
    .map((e) => e.row)
    .sort((a, b) => a - b);
}

function kept(codes: FastScanCodes, lane: number): number[] {
  const out = new Int32Array(codes.depth);
  const n = codes.heapRows(lane, out);
  return [...out.subarray(0, n)];
}

describe('fast scan of 4-bit codes', () => {
  it('runs the WebAssembly SIMD kernel on this runtime, on a shared memory', () => {
    expect(simd).toBe(true);
    expect(wasmApi()?.validate(selectKernelBytes(24))).toBe(true);
    const codes = new FastScanCodes(48, 8);
    expect(codes.engine).toBe('wasm');
    expect(codes.memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('masks the lanes of a block past its last row (even rows in bits 0..7, odd rows in 8..15)', () => {
    expect(laneMask(16)).toBe(0xffff);
    expect(laneMask(1)).toBe(0b1);
    expect(laneMask(2)).toBe(0x101);
    expect(laneMask(5)).toBe(0x307);
  });

  it.each([
    [2, 1, 4],
    [8, 15, 4],
    [8, 16, 16],
    [8, 17, 32],
    [48, 1000, 64],
    [48, 5000, 1024],
    [64, 333, 500],
  ])(
    'keeps the best rows of [0, n) by score, then lower row, in both engines (%i sub-spaces, %i rows, depth %i)',
    (subspaces, rows, depth) => {
      const { engines, codes, tables } = fill(subspaces, rows, depth, subspaces * 1000 + rows);
      for (const engine of engines) {
        engine.resetHeap(0);
        engine.select(0, rows, 0);
        expect(kept(engine, 0)).toEqual(expectedRows(codes, tables, depth));
      }
    },
  );

  it.skipIf(!simd).each([
    [8, 5000, 256, undefined],
    [48, 4099, 1024, undefined],
    [48, 3000, 100, 1],
    [96, 777, 64, 2],
  ])(
    'kernel and TypeScript reference make the same insertions and keep the same rows, over any split of the rows (%i, %i rows, depth %i, levels %s)',
    (subspaces, rows, depth, levels) => {
      const { engines, codes, tables } = fill(subspaces, rows, depth, 7 + subspaces, levels);
      const [reference, kernel] = engines;
      if (!reference || !kernel) throw new Error('both engines expected');
      const expected = expectedRows(codes, tables, depth);
      // In one call, in block-aligned pieces into one lane, and split between two lanes then merged.
      const mid = 16 * Math.floor(rows / 32);
      const splits = [
        [0, rows],
        [0, 16 * 7, rows],
        [0, mid, mid + 48, rows],
      ];
      for (const cuts of splits) {
        const inserted = engines.map((engine) => {
          engine.resetHeap(0);
          let n = 0;
          for (let i = 0; i + 1 < cuts.length; i++) n += engine.select(cuts[i] ?? 0, cuts[i + 1] ?? 0, 0);
          return n;
        });
        expect(inserted[1]).toBe(inserted[0]);
        expect(kept(reference, 0)).toEqual(expected);
        expect(kept(kernel, 0)).toEqual(expected);
        // The pieces in reverse order: rows need not come in order (a thread may take over an earlier chunk).
        for (const engine of engines) {
          engine.resetHeap(0);
          for (let i = cuts.length - 2; i >= 0; i--) engine.select(cuts[i] ?? 0, cuts[i + 1] ?? 0, 0);
          expect(kept(engine, 0)).toEqual(expected);
        }
      }
      for (const engine of engines) {
        const half = 16 * Math.floor(rows / 32);
        engine.resetHeap(0);
        engine.resetHeap(1);
        engine.select(half, rows, 0);
        engine.select(0, half, 1);
        engine.merge(0, 1);
        expect(kept(engine, 0)).toEqual(expected);
      }
      // A range that starts mid-way keeps the best of that range only.
      for (const engine of engines) {
        engine.resetHeap(1);
        engine.select(64, rows - 3, 1);
        expect(kept(engine, 1)).toEqual(expectedRows(codes, tables, depth, 64, rows - 3));
      }
    },
  );

  it('keeps codes through growth and moves, and refuses selections it cannot do', () => {
    const codes = new FastScanCodes(8, 4, simd ? 'wasm' : 'typescript');
    const row = (r: number): Uint8Array => Uint8Array.from({ length: 8 }, (_, s) => (r * 3 + s) & 15);
    codes.ensure(10);
    for (let r = 0; r < 10; r++) codes.set(r, row(r));
    const control = codes.control;
    control[5] = 1234;
    codes.ensure(200_000);
    expect(codes.capacity).toBeGreaterThanOrEqual(200_000);
    // The memory grew in place: a view made before growth still sees the same words.
    expect(codes.control[5]).toBe(1234);
    codes.set(199_999, row(5));
    codes.move(199_999, 3);
    for (let s = 0; s < 8; s++) {
      expect(codes.code(3, s)).toBe(row(5)[s]);
      expect(codes.code(9, s)).toBe(row(9)[s]);
    }
    expect(() => codes.select(8, 16, 0)).toThrow(/block boundary/);
    expect(() => codes.select(0, codes.capacity + 16, 0)).toThrow(/past the stored rows/);
    expect(() => codes.select(0, 16, 4)).toThrow(/no such lane/);
    expect(codes.select(32, 32, 0)).toBe(0);
    expect(() => codes.setTables(new Uint8Array(3))).toThrow(/16 entries/);
    expect(() => new FastScanCodes(3, 4)).toThrow(/even/);
    expect(() => new FastScanCodes(8, 0)).toThrow(/depth/);
  });

  it('reads no row from an emptied heap, and fewer rows than the depth when fewer were offered', () => {
    const { engines } = fill(8, 40, 64, 3);
    for (const engine of engines) {
      engine.resetHeap(0);
      expect(kept(engine, 0)).toEqual([]);
      engine.select(0, 40, 0);
      expect(kept(engine, 0)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
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
