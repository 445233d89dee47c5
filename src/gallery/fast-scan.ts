import {
  BLOCK_ROWS,
  instantiateSelectKernel,
  laneMask,
  type MergeKernel,
  mergeReference,
  type SelectKernel,
  selectKernelModule,
  selectReference,
  sharedKernelMemory,
  type WasmMemory,
  type WasmModule,
} from './fast-scan-kernel.js';

const PAGE = 65_536;
/** Bytes of the control words at the start of the memory (used by a second scanning thread). */
export const CONTROL_BYTES = 64;
/** Byte offset of the lookup tables. */
const LUT_AT = CONTROL_BYTES;
/** Bytes of a lane's scratch area (one block's 16 scores), before its heap. */
const SCRATCH_BYTES = 32;
/**
 * Lanes (a scratch area and a heap each): one per thread that may select at the same time, and two more where a
 * helper thread publishes copies of its heap (see `ParallelScan`).
 */
export const LANES = 4;

/** Which scan runs: the WebAssembly SIMD kernel, or its TypeScript reference. */
export type ScanEngine = 'wasm' | 'typescript';

/** True when this runtime compiles the SIMD kernel (on a shared memory). */
export function wasmSimdAvailable(): boolean {
  return selectKernelModule(1) !== null;
}

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Where the pieces of a {@link FastScanCodes} memory sit: what a second thread needs to scan it too. */
export interface ScanLayout {
  pairs: number;
  /** Keys kept per lane's heap. */
  depth: number;
  lutAt: number;
  /** Byte offset of lane `i`'s scratch area is `lanesAt + i * laneBytes`; its heap follows the scratch. */
  lanesAt: number;
  laneBytes: number;
  codesAt: number;
}

/**
 * 4-bit product-quantiser codes in the "fast scan" layout, with their selection of the best rows. Rows come in
 * blocks of 16; in a block, byte p of the 16 rows sits in one 16-byte vector (sub-space 2p in the low nibble, 2p+1
 * in the high nibble), so the kernel looks up 16 rows' codes in a 16-entry u8 table with one swizzle. Codes, tables
 * and the selection's heaps live in one linear memory (a shared WebAssembly memory when SIMD is available, so that
 * a second thread can scan part of the rows), laid out as: control words, tables (16 bytes per sub-space), the
 * {@link LANES} lanes (a 32-byte scratch area and a min-heap of `depth` 64-bit keys each), then the code blocks.
 *
 * A heap keeps the `depth` best rows of the rows offered to it, by quantised score and, among equal scores, lower
 * row first: a total order, so the rows kept do not depend on how the rows were split between lanes, nor on the
 * order they came in.
 */
export class FastScanCodes {
  readonly pairs: number;
  readonly engine: ScanEngine;
  readonly layout: ScanLayout;
  private readonly stride: number;
  /** The shared memory and compiled kernel (null for the TypeScript scan). */
  readonly memory: WasmMemory | null;
  readonly module: WasmModule | null;
  private readonly selectKernel: SelectKernel | null;
  private readonly mergeKernel: MergeKernel | null;
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private bytes: Uint8Array;
  private words: Int32Array;
  private blocks = 0;

  /** `subspaces` 4-bit codes per row (an even number), heaps of `depth` rows; `engine` defaults to wasm where available. */
  constructor(
    readonly subspaces: number,
    readonly depth: number,
    engine?: ScanEngine,
  ) {
    if (!Number.isInteger(subspaces) || subspaces < 2 || subspaces % 2 !== 0)
      throw new Error('subspaces must be an even number ≥ 2');
    if (!Number.isInteger(depth) || depth < 1) throw new Error('depth must be a positive integer');
    this.pairs = subspaces / 2;
    this.stride = this.pairs * 16;
    const lanesAt = alignUp(LUT_AT + subspaces * 16, 64);
    const laneBytes = alignUp(SCRATCH_BYTES + 8 * depth, 64);
    const codesAt = lanesAt + LANES * laneBytes;
    this.layout = { pairs: this.pairs, depth, lutAt: LUT_AT, lanesAt, laneBytes, codesAt };
    const module = engine === 'typescript' ? null : selectKernelModule(this.pairs);
    if (engine === 'wasm' && !module) throw new Error('WebAssembly SIMD is not available');
    this.engine = module ? 'wasm' : 'typescript';
    const pages = Math.ceil((codesAt + this.stride) / PAGE);
    this.module = module;
    if (module) {
      this.memory = sharedKernelMemory(pages);
      const kernel = instantiateSelectKernel(module, this.memory);
      this.selectKernel = kernel.select;
      this.mergeKernel = kernel.merge;
      this.buffer = this.memory.buffer;
    } else {
      this.memory = null;
      this.selectKernel = null;
      this.mergeKernel = null;
      this.buffer = new ArrayBuffer(pages * PAGE);
    }
    this.bytes = new Uint8Array(this.buffer);
    this.words = new Int32Array(this.buffer);
    this.blocks = Math.floor((this.buffer.byteLength - codesAt) / this.stride);
  }

  /** Rows the memory holds now. */
  get capacity(): number {
    return this.blocks * BLOCK_ROWS;
  }

  /** The control words (a view valid through growth: they sit at the start of the memory). */
  get control(): Int32Array {
    return new Int32Array(this.buffer, 0, CONTROL_BYTES / 4);
  }

  /**
   * Grows the memory so that `rows` rows fit; new rows' codes are zero. A shared WebAssembly memory grows in place,
   * to the page; a plain buffer is copied, so it grows by half at least.
   */
  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    const needed = Math.ceil(rows / BLOCK_ROWS);
    const blocks = this.memory ? needed : Math.max(needed, Math.ceil(this.blocks * 1.5));
    const pages = Math.ceil((this.layout.codesAt + blocks * this.stride) / PAGE);
    const more = pages - this.buffer.byteLength / PAGE;
    if (this.memory) {
      // Only this thread's views are re-created; another thread's instance sees the new size by itself.
      this.memory.grow(more);
      this.buffer = this.memory.buffer;
    } else {
      const grown = new ArrayBuffer(pages * PAGE);
      new Uint8Array(grown).set(this.bytes);
      this.buffer = grown;
    }
    this.bytes = new Uint8Array(this.buffer);
    this.words = new Int32Array(this.buffer);
    this.blocks = Math.floor((this.buffer.byteLength - this.layout.codesAt) / this.stride);
  }

  private byteAt(row: number, pair: number): number {
    return this.layout.codesAt + Math.floor(row / BLOCK_ROWS) * this.stride + pair * 16 + (row % BLOCK_ROWS);
  }

  /** Writes the codes of one row (`codes[s]` in 0..15 for each sub-space s). */
  set(row: number, codes: Uint8Array): void {
    for (let p = 0; p < this.pairs; p++) {
      this.bytes[this.byteAt(row, p)] = ((codes[2 * p] ?? 0) & 15) | (((codes[2 * p + 1] ?? 0) & 15) << 4);
    }
  }

  /** The code of sub-space `s` of `row`. */
  code(row: number, s: number): number {
    const byte = this.bytes[this.byteAt(row, s >> 1)] ?? 0;
    return s % 2 === 0 ? byte & 15 : byte >>> 4;
  }

  /** Copies the codes of row `from` over row `to`. */
  move(from: number, to: number): void {
    for (let p = 0; p < this.pairs; p++)
      this.bytes[this.byteAt(to, p)] = this.bytes[this.byteAt(from, p)] ?? 0;
  }

  /** Sets the query's lookup tables: 16 u8 entries per sub-space, sub-space by sub-space. */
  setTables(tables: Uint8Array): void {
    if (tables.length !== this.subspaces * 16) throw new Error('tables must hold 16 entries per sub-space');
    this.bytes.set(tables, LUT_AT);
  }

  private heapAt(lane: number): number {
    if (!Number.isInteger(lane) || lane < 0 || lane >= LANES) throw new Error('no such lane');
    return this.layout.lanesAt + lane * this.layout.laneBytes + SCRATCH_BYTES;
  }

  /** Empties a lane's heap (every key the sentinel −1, below any row's key). */
  resetHeap(lane: number): void {
    const at = this.heapAt(lane) >> 2;
    this.words.fill(-1, at, at + 2 * this.depth);
  }

  /**
   * Offers the rows [firstRow, endRow) to a lane's heap with the current tables (`firstRow` on a block boundary);
   * returns how many entered it. Rows past the last stored one are never offered.
   */
  select(firstRow: number, endRow: number, lane: number): number {
    if (firstRow % BLOCK_ROWS !== 0) throw new Error('select must start at a block boundary');
    if (endRow <= firstRow) return 0;
    const block = firstRow / BLOCK_ROWS;
    const end = Math.ceil(endRow / BLOCK_ROWS);
    if (end > this.blocks) throw new Error('select past the stored rows');
    const lastMask = laneMask(endRow - (end - 1) * BLOCK_ROWS);
    const heap = this.heapAt(lane);
    const { codesAt, lutAt } = this.layout;
    if (this.selectKernel) {
      const scratch = heap - SCRATCH_BYTES;
      return this.selectKernel(codesAt, lutAt, block, end, lastMask, heap, this.depth, scratch);
    }
    return selectReference(
      this.bytes,
      this.words,
      this.pairs,
      codesAt,
      lutAt,
      block,
      end,
      lastMask,
      heap,
      this.depth,
    );
  }

  /** Offers the rows kept by lane `from` to lane `into`; returns how many entered it. */
  merge(into: number, from: number): number {
    const heap = this.heapAt(into);
    const other = this.heapAt(from);
    if (this.mergeKernel) return this.mergeKernel(heap, other, this.depth);
    return mergeReference(this.words, heap, other, this.depth);
  }

  /** Writes the rows a lane's heap keeps to `out` in ascending order; returns how many. */
  heapRows(lane: number, out: Int32Array): number {
    const at = this.heapAt(lane) >> 2;
    let n = 0;
    for (let j = 0; j < this.depth; j++) {
      // An entry with score −1 is an empty place.
      if ((this.words[at + 2 * j + 1] ?? -1) < 0) continue;
      out[n++] = ~(this.words[at + 2 * j] ?? 0);
    }
    out.subarray(0, n).sort();
    return n;
  }

  /**
   * Bytes that hold no code, whatever the number of rows: the area before the codes (control words, tables, the
   * lanes' heaps) and the part of the last 64 KiB page past the last whole block.
   */
  get workspaceBytes(): number {
    return this.buffer.byteLength - this.blocks * this.stride;
  }

  /** Bytes of memory held (codes with room to grow, and the fixed area). */
  byteLength(): number {
    return this.buffer.byteLength;
  }
}

/** Largest sum of one code byte's two table entries: u8, and the total over all pairs stays a positive i16. */
export function pairLimit(pairs: number): number {
  return Math.min(255, Math.floor(32_767 / pairs));
}

/**
 * Quantises a query's float tables (`single[s * 16 + c]`: score of centroid c of sub-space s) to u8 tables for
 * the scan: each sub-space shifted by its minimum, all scaled by one factor so that the two tables of every code
 * byte sum to at most {@link pairLimit}. The row score is then `factor × (quantised score − Σ minima)` up to
 * rounding, so the order of rows is that of the float scores within half a step per sub-space.
 */
export function quantiseTables(single: Float32Array, subspaces: number, out: Uint8Array): void {
  const pairs = subspaces / 2;
  const minima = new Float64Array(subspaces);
  let widest = 0;
  for (let p = 0; p < pairs; p++) {
    let range = 0;
    for (let s = 2 * p; s < 2 * p + 2; s++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < 16; c++) {
        const v = single[s * 16 + c] ?? 0;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      minima[s] = lo;
      range += hi - lo;
    }
    widest = Math.max(widest, range);
  }
  // One level of head room: rounding may lift each of the two entries by half a level.
  const factor = widest > 0 ? (pairLimit(pairs) - 1) / widest : 0;
  for (let s = 0; s < subspaces; s++) {
    for (let c = 0; c < 16; c++) {
      out[s * 16 + c] = Math.round(((single[s * 16 + c] ?? 0) - (minima[s] ?? 0)) * factor);
    }
  }
}
