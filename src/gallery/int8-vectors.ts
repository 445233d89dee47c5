/**
 * Quantises `v[vo .. vo + d)` to int8 with one scale (`max |x| / 127`) into `out[oo ..]`; returns the scale.
 * x ≈ scale × q: for a unit vector the dot-product error with a unit query has a standard deviation of about
 * scale / √12 (about 3 × 10⁻⁴ at 704 dimensions).
 */
export function quantiseInt8(v: Float32Array, vo: number, d: number, out: Int8Array, oo: number): number {
  let max = 0;
  for (let j = 0; j < d; j++) {
    const a = Math.abs(v[vo + j]!);
    if (a > max) max = a;
  }
  if (max === 0) {
    out.fill(0, oo, oo + d);
    return 0;
  }
  const inv = 127 / max;
  for (let j = 0; j < d; j++) out[oo + j] = Math.round(v[vo + j]! * inv);
  return max / 127;
}

/**
 * Int8 vectors with a float32 scale each, in fixed-size chunks (grown a chunk at a time, never copied), indexed by
 * dense slot like the float32 rows of the exact index: d + 4 bytes per vector.
 */
export class Int8Vectors {
  private readonly chunks: Int8Array[] = [];
  private scales = new Float32Array(1024);

  constructor(
    readonly dimension: number,
    private readonly chunkRows: number,
  ) {}

  /** Stores the vector `v[vo .. vo + d)` at `slot` (slots are filled densely from 0). */
  write(slot: number, v: Float32Array, vo = 0): void {
    const chunk = Math.floor(slot / this.chunkRows);
    while (this.chunks.length <= chunk) this.chunks.push(new Int8Array(this.chunkRows * this.dimension));
    if (slot >= this.scales.length) {
      const grown = new Float32Array(Math.max(slot + 1, this.scales.length * 2));
      grown.set(this.scales);
      this.scales = grown;
    }
    this.scales[slot] = quantiseInt8(
      v,
      vo,
      this.dimension,
      this.chunks[chunk]!,
      (slot % this.chunkRows) * this.dimension,
    );
  }

  /** Copies row `from` over row `to`. */
  copy(from: number, to: number): void {
    const d = this.dimension;
    const src = this.chunks[Math.floor(from / this.chunkRows)]!;
    const so = (from % this.chunkRows) * d;
    this.chunks[Math.floor(to / this.chunkRows)]!.set(src.subarray(so, so + d), (to % this.chunkRows) * d);
    this.scales[to] = this.scales[from]!;
  }

  /** Releases trailing chunks once two are empty for `count` rows, keeping one spare. */
  trim(count: number): void {
    while (this.chunks.length > 1 && (this.chunks.length - 2) * this.chunkRows >= count) this.chunks.pop();
  }

  /** Dot product of row `slot` with `q` (float32 query, int8 row). */
  dot(slot: number, q: Float32Array): number {
    const d = this.dimension;
    const row = this.chunks[Math.floor(slot / this.chunkRows)]!;
    const o = (slot % this.chunkRows) * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      s0 += row[o + j]! * q[j]!;
      s1 += row[o + j + 1]! * q[j + 1]!;
      s2 += row[o + j + 2]! * q[j + 2]!;
      s3 += row[o + j + 3]! * q[j + 3]!;
    }
    for (; j < d; j++) s0 += row[o + j]! * q[j]!;
    return (s0 + s1 + s2 + s3) * this.scales[slot]!;
  }

  /** Writes the dequantised row `slot` into `out[oo ..]`. */
  read(slot: number, out: Float32Array, oo = 0): void {
    const d = this.dimension;
    const row = this.chunks[Math.floor(slot / this.chunkRows)]!;
    const o = (slot % this.chunkRows) * d;
    const scale = this.scales[slot]!;
    for (let j = 0; j < d; j++) out[oo + j] = row[o + j]! * scale;
  }

  /** Bytes held (rows and scales). */
  bytes(): number {
    return this.chunks.length * this.chunkRows * this.dimension + this.scales.byteLength;
  }
}
