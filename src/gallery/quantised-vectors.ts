import { at } from '../util/checked-access.js';
import { MAX_PAGES, type WasmMemory, type WasmModule, wasmApi } from './fast-scan-kernel.js';
import {
  BLOCK,
  instantiateRerank,
  queryTermBytes,
  queryTerms,
  type RerankKernel,
  rerankKernelModule,
  rowLayout,
} from './rerank-kernel.js';

// Speed-sensitive: typed-array reads in the scan loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Largest level of the 10-bit codes: x ≈ scale × v with v in [−511, 511]. */
const LEVELS = 511;

const PAGE = 65_536;

/**
 * Quantises `v[vo .. vo + d)` to 10-bit levels, one scale per block of {@link BLOCK} components (scale = max |x| /
 * 511 over the block, written to `scales[so ..]`), split into a signed high byte (`hi` at `ho`) and two low bits
 * (`lo` from `lo_`, four components per byte). The dot-product error with a unit query then has a standard
 * deviation of about 10⁻⁴ at 704 dimensions: a quarter of plain int8's, inside the 0.001 steps of the calibrated
 * thresholds.
 */
export function quantise10(
  v: Float32Array,
  vo: number,
  d: number,
  out: { hi: Int8Array; ho: number; lo: Uint8Array; lo_: number; scales: Float32Array; so: number },
): void {
  const { hi, ho, lo, lo_, scales, so } = out;
  lo.fill(0, lo_, lo_ + Math.ceil(d / 4));
  for (let b = 0, k = 0; b < d; b += BLOCK, k++) {
    const e = Math.min(d, b + BLOCK);
    let max = 0;
    for (let j = b; j < e; j++) max = Math.max(max, Math.abs(v[vo + j] ?? 0));
    scales[so + k] = max / LEVELS;
    const inv = max === 0 ? 0 : LEVELS / max;
    for (let j = b; j < e; j++) {
      const level = Math.round((v[vo + j] ?? 0) * inv);
      hi[ho + j] = level >> 2;
      lo[lo_ + (j >> 2)] = (lo[lo_ + (j >> 2)] ?? 0) | ((level & 3) << ((j & 3) * 2));
    }
  }
}

/** Options of {@link QuantisedVectors}. */
export interface QuantisedVectorsOptions {
  /**
   * Keep the rows in WebAssembly memories and score re-rank candidates in place with the SIMD kernel (where it is
   * available; else as without). Default false: rows in plain chunks, scored in JavaScript.
   */
  wasm?: boolean;
  /** Most rows scored by one kernel call (the size of each lane's slot and output areas). Default 1024. */
  depth?: number;
  /** Rows per WebAssembly memory (a multiple of the chunk rows); default as many as 4 GiB hold. For tests. */
  segmentRows?: number;
}

/** A stretch of rows in one buffer: a plain chunk, or a WebAssembly memory with the kernel's header before the rows. */
interface Segment {
  readonly memory: WasmMemory | null;
  readonly kernel: RerankKernel | null;
  buffer: ArrayBuffer | SharedArrayBuffer;
  i8: Int8Array;
  u8: Uint8Array;
  i16: Int16Array;
  i32: Int32Array;
  f32: Float32Array;
  /** Rows the buffer holds now. */
  rows: number;
}

/**
 * Re-rank vectors kept in 10 bits per component with a float32 scale per block of 64: a signed byte of high bits
 * and two low bits packed four to a byte, d + d/4 + 4·⌈d/64⌉ bytes per vector (924 at 704 dimensions, against
 * 2,816 as float32), stored row by row (scales, high bytes, low bits) and indexed by dense slot like the float32 rows
 * of the exact index. Rows sit in plain chunks (grown a chunk at a time, never copied), or, with `wasm`, in
 * WebAssembly memories (grown in place a chunk at a time, up to 4 GiB each, then another), where the SIMD kernel
 * scores candidates where they lie, without copying them.
 */
export class QuantisedVectors {
  private readonly segments: Segment[] = [];
  private readonly layout: ReturnType<typeof rowLayout>;
  private readonly module: WasmModule | null;
  /** Most rows one kernel call scores (the size of the header's slot and output areas). */
  private readonly depth: number;
  /** Rows per segment. */
  private readonly segmentRows: number;
  /** Byte offset of the first row in a WebAssembly memory (after the kernel's header). */
  private readonly rowsAt: number;
  private readonly coarse: Int16Array;
  private readonly fine: Int16Array;

  constructor(
    readonly dimension: number,
    private readonly chunkRows: number,
    options: QuantisedVectorsOptions = {},
  ) {
    this.layout = rowLayout(dimension);
    this.module = options.wasm ? rerankKernelModule(dimension) : null;
    this.depth = Math.max(1, options.depth ?? 1024);
    this.coarse = new Int16Array(dimension);
    this.fine = new Int16Array(dimension);
    if (this.module) {
      // Header: the query's terms, the slots to score (i32) and their four partial sums (4 × f32) each.
      this.rowsAt = Math.ceil((queryTermBytes(dimension) + 20 * this.depth) / 64) * 64;
      const most = Math.floor(((MAX_PAGES - 1) * PAGE - this.rowsAt) / this.layout.stride);
      const rows = Math.min(options.segmentRows ?? most, most);
      this.segmentRows = Math.max(chunkRows, Math.floor(rows / chunkRows) * chunkRows);
    } else {
      this.rowsAt = 0;
      this.segmentRows = chunkRows;
    }
  }

  /** True when candidates are scored by the WebAssembly SIMD kernel ({@link scoreRange}). */
  get simd(): boolean {
    return this.module !== null;
  }

  private newSegment(): Segment {
    const module = this.module;
    const api = wasmApi();
    if (module && api) {
      const memory = new api.Memory({
        initial: Math.ceil(this.rowsAt / PAGE),
        maximum: MAX_PAGES,
        shared: true,
      });
      return this.views({ memory, kernel: instantiateRerank(module, memory) }, memory.buffer);
    }
    return this.views({ memory: null, kernel: null }, new ArrayBuffer(this.chunkRows * this.layout.stride));
  }

  private views(base: Pick<Segment, 'memory' | 'kernel'>, buffer: ArrayBuffer | SharedArrayBuffer): Segment {
    const rows = Math.floor((buffer.byteLength - this.rowsAt) / this.layout.stride);
    return {
      ...base,
      buffer,
      i8: new Int8Array(buffer),
      u8: new Uint8Array(buffer),
      i16: new Int16Array(buffer, 0, buffer.byteLength >> 1),
      i32: new Int32Array(buffer, 0, buffer.byteLength >> 2),
      f32: new Float32Array(buffer, 0, buffer.byteLength >> 2),
      rows,
    };
  }

  /** The segment and the byte offset of a slot's row, growing the storage when the slot is past it. */
  private place(slot: number, grow: boolean): [Segment, number] {
    const index = Math.floor(slot / this.segmentRows);
    const row = slot - index * this.segmentRows;
    if (grow) {
      while (this.segments.length <= index) this.segments.push(this.newSegment());
      let segment = at(this.segments, index);
      if (row >= segment.rows && segment.memory) {
        const rows = Math.min(this.segmentRows, (Math.floor(row / this.chunkRows) + 1) * this.chunkRows);
        const pages = Math.ceil((this.rowsAt + rows * this.layout.stride) / PAGE);
        segment.memory.grow(pages - segment.buffer.byteLength / PAGE);
        segment = this.views(segment, segment.memory.buffer);
        this.segments[index] = segment;
      }
      return [segment, this.rowsAt + row * this.layout.stride];
    }
    return [at(this.segments, index), this.rowsAt + row * this.layout.stride];
  }

  /** Stores the vector `v[vo .. vo + d)` at `slot` (slots are filled densely from 0). */
  write(slot: number, v: Float32Array, vo = 0): void {
    const [segment, offset] = this.place(slot, true);
    quantise10(v, vo, this.dimension, {
      hi: segment.i8,
      ho: offset + this.layout.hiAt,
      lo: segment.u8,
      lo_: offset + this.layout.loAt,
      scales: segment.f32,
      so: (offset + this.layout.scalesAt) >> 2,
    });
  }

  /** Copies row `from` over row `to`. */
  copy(from: number, to: number): void {
    const [target, to_] = this.place(to, true);
    const [source, fo] = this.place(from, false);
    if (source === target) target.u8.copyWithin(to_, fo, fo + this.layout.stride);
    else target.u8.set(source.u8.subarray(fo, fo + this.layout.stride), to_);
  }

  /**
   * Releases trailing storage for `count` rows: plain chunks once two are empty, keeping one spare; WebAssembly
   * memories (which cannot shrink, and may be large) once they hold no row.
   */
  trim(count: number): void {
    if (this.module) {
      const needed = Math.max(1, Math.ceil(count / this.segmentRows));
      while (this.segments.length > needed) this.segments.pop();
      return;
    }
    while (this.segments.length > 1 && (this.segments.length - 2) * this.segmentRows >= count)
      this.segments.pop();
  }

  /** Dot product of row `slot` with the float32 query `q`. */
  dot(slot: number, q: Float32Array): number {
    const d = this.dimension;
    const [segment, offset] = this.place(slot, false);
    const { i8: hi, u8: lo, f32: scales } = segment;
    const o = offset + this.layout.hiAt;
    const lb = offset + this.layout.loAt;
    let total = 0;
    for (let b = 0, k = (offset + this.layout.scalesAt) >> 2; b < d; b += BLOCK, k++) {
      const e = Math.min(d, b + BLOCK);
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = b;
      for (let p = lb + (b >> 2); j + 4 <= e; j += 4, p++) {
        const l = lo[p] ?? 0;
        s0 += ((hi[o + j] ?? 0) * 4 + (l & 3)) * (q[j] ?? 0);
        s1 += ((hi[o + j + 1] ?? 0) * 4 + ((l >>> 2) & 3)) * (q[j + 1] ?? 0);
        s2 += ((hi[o + j + 2] ?? 0) * 4 + ((l >>> 4) & 3)) * (q[j + 2] ?? 0);
        s3 += ((hi[o + j + 3] ?? 0) * 4 + (l >>> 6)) * (q[j + 3] ?? 0);
      }
      for (; j < e; j++)
        s0 += ((hi[o + j] ?? 0) * 4 + (((lo[lb + (j >> 2)] ?? 0) >>> ((j & 3) * 2)) & 3)) * (q[j] ?? 0);
      total += (s0 + s1 + s2 + s3) * (scales[k] ?? 0);
    }
    return total;
  }

  /** Writes the dequantised row `slot` into `out[oo ..]`. */
  read(slot: number, out: Float32Array, oo = 0): void {
    const d = this.dimension;
    const [segment, offset] = this.place(slot, false);
    const scales = (offset + this.layout.scalesAt) >> 2;
    for (let j = 0; j < d; j++) {
      const low = ((segment.u8[offset + this.layout.loAt + (j >> 2)] ?? 0) >>> ((j & 3) * 2)) & 3;
      out[oo + j] =
        ((segment.i8[offset + this.layout.hiAt + j] ?? 0) * 4 + low) *
        (segment.f32[scales + Math.floor(j / BLOCK)] ?? 0);
    }
  }

  /**
   * Writes the query's kernel terms into every WebAssembly memory (before {@link scoreRange} on any lane); returns
   * the step that {@link scoreRange} takes.
   */
  prepareQuery(query: Float32Array): number {
    const step = queryTerms(query, this.coarse, this.fine);
    for (const segment of this.segments) {
      segment.i16.set(this.coarse, 0);
      segment.i16.set(this.fine, this.dimension);
    }
    return step;
  }

  /**
   * Scores the rows `slots[from .. to)` (ascending, so that rows of one memory are adjacent) against the query of
   * the last {@link prepareQuery} with the SIMD kernel, in place: `out[i]` for `slots[i]`, in batches of `depth`.
   * Matches {@link dot} to float32 rounding (about 10⁻⁷), far under the 10-bit storage's own error of about 10⁻⁴.
   */
  scoreRange(slots: Int32Array, from: number, to: number, step: number, out: Float32Array): void {
    const slotsAt = queryTermBytes(this.dimension);
    const outAt = slotsAt + 4 * this.depth;
    for (let i = from; i < to; ) {
      const index = Math.floor((slots[i] ?? 0) / this.segmentRows);
      const segment = at(this.segments, index);
      const kernel = segment.kernel;
      if (!kernel) throw new Error('rows are not in WebAssembly memory');
      const first = index * this.segmentRows;
      let n = 0;
      for (; i + n < to && n < this.depth; n++) {
        const slot = slots[i + n] ?? 0;
        if (slot - first >= this.segmentRows) break;
        segment.i32[(slotsAt >> 2) + n] = slot - first;
      }
      // Rows sit at random places: fetch them all at once (in parallel) before the kernel reads them one by one.
      kernel.touch(slotsAt, n, this.rowsAt);
      kernel.rerank(slotsAt, n, this.rowsAt, outAt);
      const lanes = outAt >> 2;
      for (let r = 0; r < n; r++) {
        const o = lanes + 4 * r;
        out[i + r] =
          ((segment.f32[o] ?? 0) +
            (segment.f32[o + 1] ?? 0) +
            (segment.f32[o + 2] ?? 0) +
            (segment.f32[o + 3] ?? 0)) *
          step;
      }
      i += n;
    }
  }

  /**
   * Bytes that hold no row, whatever the number of rows: in each WebAssembly memory the kernel's header (query
   * terms, slots, partial sums) and the part of the last 64 KiB page past the last whole row.
   */
  get overheadBytes(): number {
    if (!this.module) return 0;
    return this.segments.reduce((sum, s) => sum + s.buffer.byteLength - s.rows * this.layout.stride, 0);
  }

  /** Bytes held (rows, and the kernel's header in each WebAssembly memory). */
  bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.buffer.byteLength, 0);
  }
}
