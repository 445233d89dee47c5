import {
  BLOCK_ROWS,
  instantiateScanKernel,
  type ScanKernel,
  scanKernelModule,
  scanReference,
  type WasmMemory,
} from './fast-scan-kernel.js';

/** Rows one `scan` call may cover at most: its output area holds that many (row, score) pairs. */
export const MAX_SCAN_ROWS = 16_384;

const PAGE = 65_536;
/** Byte offset of the lookup tables (after the kernel's 32-byte scratch area). */
const LUT_AT = 64;

/** Which scan runs: the WebAssembly SIMD kernel, or its TypeScript reference. */
export type ScanEngine = 'wasm' | 'typescript';

/** True when this runtime compiles the SIMD kernel. */
export function wasmSimdAvailable(): boolean {
  return scanKernelModule(1) !== null;
}

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * 4-bit product-quantiser codes in the "fast scan" layout, with their scan. Rows come in blocks of 16; in a block,
 * byte p of the 16 rows sits in one 16-byte vector (sub-space 2p in the low nibble, 2p+1 in the high nibble), so the
 * kernel looks up 16 rows' codes in a 16-entry u8 table with one swizzle. Codes, tables and the scan's output live
 * in one linear memory (a WebAssembly memory when SIMD is available), laid out as: 32-byte scratch, tables
 * (16 bytes per sub-space), output rows and scores ({@link MAX_SCAN_ROWS} of each), then the code blocks.
 */
export class FastScanCodes {
  readonly pairs: number;
  readonly engine: ScanEngine;
  private readonly stride: number;
  private readonly rowsAt: number;
  private readonly scoresAt: number;
  private readonly codesAt: number;
  private readonly memory: WasmMemory | null;
  private readonly kernel: ScanKernel | null;
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private rowsView: Int32Array;
  private scoresView: Int32Array;
  private blocks = 0;

  /** `subspaces` 4-bit codes per row (an even number); `engine` defaults to wasm where available. */
  constructor(
    readonly subspaces: number,
    engine?: ScanEngine,
  ) {
    if (!Number.isInteger(subspaces) || subspaces < 2 || subspaces % 2 !== 0)
      throw new Error('subspaces must be an even number ≥ 2');
    this.pairs = subspaces / 2;
    this.stride = this.pairs * 16;
    this.rowsAt = alignUp(LUT_AT + subspaces * 16, 64);
    this.scoresAt = this.rowsAt + MAX_SCAN_ROWS * 4;
    this.codesAt = this.scoresAt + MAX_SCAN_ROWS * 4;
    const module = engine === 'typescript' ? null : scanKernelModule(this.pairs);
    if (engine === 'wasm' && !module) throw new Error('WebAssembly SIMD is not available');
    this.engine = module ? 'wasm' : 'typescript';
    const pages = Math.ceil((this.codesAt + this.stride) / PAGE);
    if (module) {
      const { memory, scan } = instantiateScanKernel(module, pages);
      this.memory = memory;
      this.kernel = scan;
      this.buffer = memory.buffer;
    } else {
      this.memory = null;
      this.kernel = null;
      this.buffer = new ArrayBuffer(pages * PAGE);
    }
    this.bytes = new Uint8Array(this.buffer);
    this.rowsView = new Int32Array(this.buffer, this.rowsAt, MAX_SCAN_ROWS);
    this.scoresView = new Int32Array(this.buffer, this.scoresAt, MAX_SCAN_ROWS);
    this.blocks = Math.floor((this.buffer.byteLength - this.codesAt) / this.stride);
  }

  /** Rows the memory holds now. */
  get capacity(): number {
    return this.blocks * BLOCK_ROWS;
  }

  /** Grows the memory (by half at least) so that `rows` rows fit; new rows' codes are zero. */
  ensure(rows: number): void {
    if (rows <= this.capacity) return;
    const blocks = Math.max(Math.ceil(rows / BLOCK_ROWS), Math.ceil(this.blocks * 1.5));
    const pages = Math.ceil((this.codesAt + blocks * this.stride) / PAGE);
    const more = pages - this.buffer.byteLength / PAGE;
    if (this.memory) {
      this.memory.grow(more);
      this.buffer = this.memory.buffer;
    } else {
      const grown = new ArrayBuffer(pages * PAGE);
      new Uint8Array(grown).set(this.bytes);
      this.buffer = grown;
    }
    this.bytes = new Uint8Array(this.buffer);
    this.rowsView = new Int32Array(this.buffer, this.rowsAt, MAX_SCAN_ROWS);
    this.scoresView = new Int32Array(this.buffer, this.scoresAt, MAX_SCAN_ROWS);
    this.blocks = Math.floor((this.buffer.byteLength - this.codesAt) / this.stride);
  }

  private byteAt(row: number, pair: number): number {
    return this.codesAt + Math.floor(row / BLOCK_ROWS) * this.stride + pair * 16 + (row % BLOCK_ROWS);
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

  /**
   * Scores the rows of blocks [firstRow / 16, ⌈endRow / 16⌉) with the current tables and writes the rows scoring
   * above `threshold` (−1: every row; rows past the last stored one included, with the zero code) to
   * {@link outRows} and their scores to {@link outScores}, block by block (in a block, even rows first); returns
   * how many.
   */
  scan(firstRow: number, endRow: number, threshold: number): number {
    if (firstRow % BLOCK_ROWS !== 0) throw new Error('scan must start at a block boundary');
    const block = firstRow / BLOCK_ROWS;
    const end = Math.ceil(endRow / BLOCK_ROWS);
    if ((end - block) * BLOCK_ROWS > MAX_SCAN_ROWS) throw new Error('scan covers too many rows');
    if (end > this.blocks) throw new Error('scan past the stored rows');
    if (this.kernel) {
      return this.kernel(this.codesAt, LUT_AT, block, end, threshold, this.rowsAt, this.scoresAt);
    }
    return scanReference(
      this.bytes,
      this.pairs,
      this.codesAt,
      LUT_AT,
      block,
      end,
      threshold,
      this.rowsView,
      this.scoresView,
    );
  }

  /** Rows written by the last {@link scan} (a view into the memory; valid until the next `ensure`). */
  get outRows(): Int32Array {
    return this.rowsView;
  }

  /** Scores written by the last {@link scan}, matching {@link outRows}. */
  get outScores(): Int32Array {
    return this.scoresView;
  }

  /** Bytes of the fixed area before the codes (scratch, tables and the scan's output), whatever the row count. */
  get workspaceBytes(): number {
    return this.codesAt;
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
