import { at } from '../util/checked-access.js';

// Speed-sensitive: typed-array reads in the scan loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Largest level of the 10-bit codes: x ≈ scale × v with v in [−511, 511]. */
const LEVELS = 511;

/** Components sharing one scale: the embedders' parts differ in spread (a fused vector's 192-d part runs larger). */
export const BLOCK = 64;

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

/**
 * Re-rank vectors kept in 10 bits per component with a float32 scale per block of 64: a signed byte of high bits
 * and two low bits packed four to a byte, d + d/4 + 4·⌈d/64⌉ bytes per vector (924 at 704 dimensions, against
 * 2,816 as float32). Rows sit in fixed-size chunks (grown a chunk at a time, never copied), indexed by dense slot like the
 * float32 rows of the exact index.
 */
export class QuantisedVectors {
  private readonly hiChunks: Int8Array[] = [];
  /** Byte views of `hiChunks`, for copying rows out whole. */
  private readonly hiBytes: Uint8Array[] = [];
  private readonly loChunks: Uint8Array[] = [];
  private scales: Float32Array;
  private scaleBytes: Uint8Array;
  private readonly loWidth: number;
  private readonly blocks: number;

  constructor(
    readonly dimension: number,
    private readonly chunkRows: number,
  ) {
    this.loWidth = Math.ceil(dimension / 4);
    this.blocks = Math.ceil(dimension / BLOCK);
    this.scales = new Float32Array(1024 * this.blocks);
    this.scaleBytes = new Uint8Array(this.scales.buffer);
  }

  /** Bytes of one row as {@link stage} writes it: high bytes, low bits, scales. */
  get stagedBytes(): number {
    return this.dimension + this.loWidth + 4 * this.blocks;
  }

  /**
   * Copies row `slot` as stored into `out` at `offset`: d high bytes, ⌈d/4⌉ bytes of low bits, then the ⌈d/64⌉ float32
   * scales (little-endian), for a kernel that scores rows where they are copied to.
   */
  stage(slot: number, out: Uint8Array, offset: number): void {
    const d = this.dimension;
    const c = Math.floor(slot / this.chunkRows);
    const row = slot % this.chunkRows;
    out.set(at(this.hiBytes, c).subarray(row * d, row * d + d), offset);
    const lo = row * this.loWidth;
    out.set(at(this.loChunks, c).subarray(lo, lo + this.loWidth), offset + d);
    const scales = slot * this.blocks * 4;
    out.set(this.scaleBytes.subarray(scales, scales + 4 * this.blocks), offset + d + this.loWidth);
  }

  /** Stores the vector `v[vo .. vo + d)` at `slot` (slots are filled densely from 0). */
  write(slot: number, v: Float32Array, vo = 0): void {
    const chunk = Math.floor(slot / this.chunkRows);
    while (this.hiChunks.length <= chunk) {
      const hi = new Int8Array(this.chunkRows * this.dimension);
      this.hiChunks.push(hi);
      this.hiBytes.push(new Uint8Array(hi.buffer));
      this.loChunks.push(new Uint8Array(this.chunkRows * this.loWidth));
    }
    if ((slot + 1) * this.blocks > this.scales.length) {
      const grown = new Float32Array(Math.max((slot + 1) * this.blocks, this.scales.length * 2));
      grown.set(this.scales);
      this.scales = grown;
      this.scaleBytes = new Uint8Array(grown.buffer);
    }
    const row = slot % this.chunkRows;
    quantise10(v, vo, this.dimension, {
      hi: at(this.hiChunks, chunk),
      ho: row * this.dimension,
      lo: at(this.loChunks, chunk),
      lo_: row * this.loWidth,
      scales: this.scales,
      so: slot * this.blocks,
    });
  }

  /** Copies row `from` over row `to`. */
  copy(from: number, to: number): void {
    const d = this.dimension;
    const w = this.loWidth;
    const fc = Math.floor(from / this.chunkRows);
    const tc = Math.floor(to / this.chunkRows);
    const fr = from % this.chunkRows;
    const tr = to % this.chunkRows;
    at(this.hiChunks, tc).set(at(this.hiChunks, fc).subarray(fr * d, fr * d + d), tr * d);
    at(this.loChunks, tc).set(at(this.loChunks, fc).subarray(fr * w, fr * w + w), tr * w);
    this.scales.copyWithin(to * this.blocks, from * this.blocks, (from + 1) * this.blocks);
  }

  /** Releases trailing chunks once two are empty for `count` rows, keeping one spare. */
  trim(count: number): void {
    while (this.hiChunks.length > 1 && (this.hiChunks.length - 2) * this.chunkRows >= count) {
      this.hiChunks.pop();
      this.hiBytes.pop();
      this.loChunks.pop();
    }
  }

  /** Dot product of row `slot` with the float32 query `q`. */
  dot(slot: number, q: Float32Array): number {
    const d = this.dimension;
    const c = Math.floor(slot / this.chunkRows);
    const hi = at(this.hiChunks, c);
    const lo = at(this.loChunks, c);
    const row = slot % this.chunkRows;
    const o = row * d;
    const lb = row * this.loWidth;
    let total = 0;
    for (let b = 0, k = slot * this.blocks; b < d; b += BLOCK, k++) {
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
      total += (s0 + s1 + s2 + s3) * (this.scales[k] ?? 0);
    }
    return total;
  }

  /** Writes the dequantised row `slot` into `out[oo ..]`. */
  read(slot: number, out: Float32Array, oo = 0): void {
    const d = this.dimension;
    const c = Math.floor(slot / this.chunkRows);
    const hi = at(this.hiChunks, c);
    const lo = at(this.loChunks, c);
    const row = slot % this.chunkRows;
    for (let j = 0; j < d; j++) {
      const low = ((lo[row * this.loWidth + (j >> 2)] ?? 0) >>> ((j & 3) * 2)) & 3;
      out[oo + j] =
        ((hi[row * d + j] ?? 0) * 4 + low) * (this.scales[slot * this.blocks + Math.floor(j / BLOCK)] ?? 0);
    }
  }

  /** Bytes held (rows and scales). */
  bytes(): number {
    return this.hiChunks.length * this.chunkRows * (this.dimension + this.loWidth) + this.scales.byteLength;
  }
}
