/**
 * The gallery's product-quantised index as it was before the fast scan (float byte-pair tables, scalar JavaScript
 * scan over row-major codes), kept unchanged so that `bench:gallery` times it against the current index in the
 * same run. Not used by the product.
 */

import { dot, ExactIndex, type OwnerTopK } from '../../src/gallery/exact-index.js';
import { pqParamsFor } from '../../src/gallery/pq-params.js';
import { QuantisedVectors } from '../../src/gallery/quantised-vectors.js';
import { seededRandom } from '../../src/gallery/seeded-random.js';
import type { SearchReport, VectorHit } from '../../src/gallery/vector-index.port.js';
import { required } from '../../src/util/checked-access.js';

// Speed-sensitive: typed-array reads in the scan loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Tuning of {@link PqIndex}; sub-spaces and re-rank depth default to {@link pqParamsFor} of the dimension. */
export interface ScalarPqIndexOptions {
  /** Number of sub-spaces (4-bit codes, eight per 32-bit word); a multiple of 8. Default from the dimension. */
  subspaces?: number;
  /** Candidates kept by the quantised scan and re-ranked on the stored vectors. Default from the dimension. */
  rerank?: number;
  /** Size at which the codebooks are trained; below it every search is exact. Default 50 000. */
  trainAt?: number;
  /** Training sample size. Default 8192 (512 points per centroid). */
  sample?: number;
  /** k-means iterations. Default 6. */
  iterations?: number;
  /** Seed of the deterministic sampling. */
  seed?: number;
  /** Once trained, keep the vectors in 10 bits (int8 + 2 low bits) with a per-vector scale, not float32. Default true. */
  compact?: boolean;
  chunkRows?: number;
}

const CENTROIDS = 16;

/**
 * Approximate search for large galleries: product quantisation with 16 centroids per sub-space (4-bit codes),
 * asymmetric distance via per-query lookup tables over byte pairs, a full scan of the codes to keep the best
 * `rerank` templates, then re-ranking of those on the stored vectors. A linear scan of compact codes (rather than a
 * partition such as IVF) keeps recall high even on unstructured vectors. Below `trainAt` vectors it is an exact
 * float32 index. Once trained (and `compact`), vectors are kept in 10 bits with a per-vector scale (1.25 d + 4 bytes
 * rather than 4 d), so every score, also `ownerScore` and `searchExact`, is then that approximation of the cosine
 * (error about 10⁻⁴, under the 0.001 steps of the calibrated thresholds).
 */
export class ScalarPqIndex extends ExactIndex {
  override readonly kind: string = 'pq-scalar';
  private readonly m: number;
  private readonly rerank: number;
  private readonly trainAt: number;
  private readonly sampleSize: number;
  private readonly iterations: number;
  private readonly seed: number;
  private readonly compactOnTrain: boolean;
  /** Sub-space boundaries: sub-space s covers dims [bounds[s], bounds[s+1]). */
  private readonly bounds: Int32Array;
  /** Centroids, per sub-space: CENTROIDS rows of that sub-space's width, laid out at dimension offsets. */
  private codebook: Float32Array | null = null;
  /** Codes, `words` uint32 per slot; byte p of a row holds sub-spaces 2p (low nibble) and 2p+1 (high nibble). */
  private codes = new Uint32Array(0);
  private readonly words: number;
  private readonly enabled: boolean;
  /** The 10-bit vectors once trained and compact (the float32 chunks are then released). */
  private compact: QuantisedVectors | null = null;

  constructor(dimension: number, options: ScalarPqIndexOptions = {}) {
    super(dimension, options.chunkRows);
    const params = pqParamsFor(dimension);
    const requested = options.subspaces ?? params.subspaces;
    if (requested < 8 || requested % 8 !== 0) throw new Error('subspaces must be a multiple of 8');
    // Sub-spaces come in words of eight 4-bit codes; vectors under 8 dimensions stay exact.
    const m = Math.floor(Math.min(requested, dimension) / 8) * 8;
    this.m = Math.max(m, 8);
    this.words = this.m / 8;
    this.rerank = options.rerank ?? params.rerank;
    this.enabled = m >= 8;
    this.trainAt = this.enabled ? (options.trainAt ?? 50_000) : Number.POSITIVE_INFINITY;
    this.sampleSize = options.sample ?? 8192;
    this.iterations = options.iterations ?? 6;
    this.seed = options.seed ?? 1;
    this.compactOnTrain = options.compact ?? true;
    this.bounds = new Int32Array(m + 1);
    for (let s = 0; s <= m; s++) this.bounds[s] = Math.round((s * dimension) / m);
  }

  /** Sub-spaces and re-rank depth in use. */
  get params(): { subspaces: number; rerank: number; compact: boolean } {
    return { subspaces: this.m, rerank: this.rerank, compact: this.compactOnTrain };
  }

  /** True once codebooks exist (searches are approximate). */
  get trained(): boolean {
    return this.codebook !== null;
  }

  protected override afterAdd(slot: number, vector: Float32Array): void {
    if (!this.codebook) {
      if (this.count >= this.trainAt) this.train();
      return;
    }
    this.ensureCodeCapacity(slot + 1);
    this.encodeInto(vector, 0, slot);
  }

  protected override afterMove(from: number, to: number): void {
    if (!this.codebook) return;
    this.codes.copyWithin(to * this.words, from * this.words, (from + 1) * this.words);
  }

  private ensureCodeCapacity(rows: number): void {
    if (this.codes.length >= rows * this.words) return;
    const grown = new Uint32Array(
      Math.max(rows, Math.ceil((this.codes.length / this.words) * 1.5), 1024) * this.words,
    );
    grown.set(this.codes);
    this.codes = grown;
  }

  /** Trains the codebooks on a deterministic sample (k-means per sub-space) and encodes every stored vector. */
  train(): void {
    const d = this.dimension;
    const n = this.count;
    if (!this.enabled || n < CENTROIDS) return;
    // Seeded so that training is reproducible.
    const random = seededRandom(this.seed);
    const sampleN = Math.min(n, this.sampleSize);
    const sample = new Float32Array(sampleN * d);
    for (let i = 0; i < sampleN; i++) {
      this.readRow(sampleN === n ? i : Math.floor(random() * n), sample, i * d);
    }
    const codebook = new Float32Array(CENTROIDS * d);
    const assign = new Uint8Array(sampleN);
    for (let s = 0; s < this.m; s++) {
      const lo = this.bounds[s] ?? 0;
      const w = (this.bounds[s + 1] ?? 0) - lo;
      const base = CENTROIDS * lo;
      for (let c = 0; c < CENTROIDS; c++) {
        const pick = Math.floor(random() * sampleN);
        for (let j = 0; j < w; j++) codebook[base + c * w + j] = sample[pick * d + lo + j] ?? 0;
      }
      const sums = new Float64Array(CENTROIDS * w);
      const counts = new Int32Array(CENTROIDS);
      for (let it = 0; it < this.iterations; it++) {
        sums.fill(0);
        counts.fill(0);
        for (let i = 0; i < sampleN; i++) {
          const c = nearest(codebook, base, w, sample, i * d + lo);
          assign[i] = c;
          counts[c] = (counts[c] ?? 0) + 1;
          for (let j = 0; j < w; j++)
            sums[c * w + j] = (sums[c * w + j] ?? 0) + (sample[i * d + lo + j] ?? 0);
        }
        for (let c = 0; c < CENTROIDS; c++) {
          const k = counts[c] ?? 0;
          if (k === 0) {
            // Re-seed an empty centroid on a random sample point.
            const pick = Math.floor(random() * sampleN);
            for (let j = 0; j < w; j++) codebook[base + c * w + j] = sample[pick * d + lo + j] ?? 0;
          } else {
            for (let j = 0; j < w; j++) codebook[base + c * w + j] = (sums[c * w + j] ?? 0) / k;
          }
        }
      }
    }
    this.codebook = codebook;
    this.codes = new Uint32Array(0);
    this.ensureCodeCapacity(n);
    const row = new Float32Array(d);
    for (let slot = 0; slot < n; slot++) {
      this.readRow(slot, row, 0);
      this.encodeInto(row, 0, slot);
    }
    if (this.compactOnTrain && !this.compact) this.compactRows();
  }

  /** Moves every float32 row into 10-bit storage and releases the float32 chunks. */
  private compactRows(): void {
    const compact = new QuantisedVectors(this.dimension, this.chunkRows);
    for (let slot = 0; slot < this.count; slot++) {
      const [chunk, offset] = this.rowOffset(slot);
      compact.write(slot, chunk, offset);
    }
    this.chunks.length = 0;
    this.compact = compact;
  }

  /** Copies the stored vector of a slot (dequantised once compact) into `out` at `offset`. */
  private readRow(slot: number, out: Float32Array, offset: number): void {
    if (this.compact) {
      this.compact.read(slot, out, offset);
      return;
    }
    const [chunk, from] = this.rowOffset(slot);
    out.set(chunk.subarray(from, from + this.dimension), offset);
  }

  protected override writeRow(slot: number, vector: Float32Array): void {
    if (this.compact) this.compact.write(slot, vector);
    else super.writeRow(slot, vector);
  }

  protected override copyRow(from: number, to: number): void {
    if (this.compact) this.compact.copy(from, to);
    else super.copyRow(from, to);
  }

  protected override trimRows(): void {
    if (this.compact) this.compact.trim(this.count);
    else super.trimRows();
  }

  protected override scoreSlot(slot: number, query: Float32Array): number {
    return this.compact ? this.compact.dot(slot, query) : super.scoreSlot(slot, query);
  }

  protected override exactScan(query: Float32Array, top: OwnerTopK): void {
    const compact = this.compact;
    if (!compact) {
      super.exactScan(query, top);
      return;
    }
    const owners = this.ownerOfSlot;
    let floor = top.floor;
    for (let slot = 0; slot < this.count; slot++) {
      const s = compact.dot(slot, query);
      if (s > floor) {
        top.offer(owners[slot] ?? 0, slot, s);
        floor = top.floor;
      }
    }
  }

  private encodeInto(source: Float32Array, offset: number, slot: number): void {
    const codebook = required(this.codebook, 'this.codebook');
    const row = slot * this.words;
    for (let w = 0; w < this.words; w++) this.codes[row + w] = 0;
    for (let s = 0; s < this.m; s++) {
      const lo = this.bounds[s] ?? 0;
      const w = (this.bounds[s + 1] ?? 0) - lo;
      const c = nearest(codebook, CENTROIDS * lo, w, source, offset + lo);
      // Sub-space s is nibble s of the row: byte s>>1, high nibble when s is odd.
      this.codes[row + (s >>> 3)] = (this.codes[row + (s >>> 3)] ?? 0) | (c << ((s & 7) * 4));
    }
  }

  override search(
    query: Float32Array,
    k: number,
    accept?: (ownerId: string) => boolean,
    report?: SearchReport,
  ): VectorHit[] {
    if (!this.codebook) return this.searchExact(query, k, accept, report);
    this.assertDimension(query);
    const top = this.topK(k, accept);
    const candidates = this.candidates(query);
    const owners = this.ownerOfSlot;
    for (const slot of candidates) top.offer(owners[slot] ?? 0, slot, this.scoreSlot(slot, query));
    return this.hits(top, report);
  }

  /** Byte-pair lookup table: entry [p * 256 + b] = score of byte value b at byte position p. */
  private lookupTable(query: Float32Array): Float32Array {
    const codebook = required(this.codebook, 'this.codebook');
    const single = new Float32Array(this.m * CENTROIDS);
    for (let s = 0; s < this.m; s++) {
      const lo = this.bounds[s] ?? 0;
      const w = (this.bounds[s + 1] ?? 0) - lo;
      for (let c = 0; c < CENTROIDS; c++) {
        single[s * CENTROIDS + c] = dot(codebook, CENTROIDS * lo + c * w, query, lo, w);
      }
    }
    const bytes = this.m / 2;
    const table = new Float32Array(bytes * 256);
    for (let p = 0; p < bytes; p++) {
      for (let b = 0; b < 256; b++) {
        table[p * 256 + b] =
          (single[2 * p * CENTROIDS + (b & 15)] ?? 0) + (single[(2 * p + 1) * CENTROIDS + (b >>> 4)] ?? 0);
      }
    }
    return table;
  }

  /** Slots of the `rerank` best rows by quantised score (unordered). */
  private candidates(query: Float32Array): Int32Array {
    const table = this.lookupTable(query);
    const heap = new MinHeap(Math.min(this.rerank, this.count));
    // One call per query: each scan keeps its whole row loop inside, so the split adds no per-row cost.
    if (this.words === 4) return scan32(this.codes, table, this.count, heap);
    if (this.words === 6) return scan48(this.codes, table, this.count, heap);
    return scanWords(this.codes, this.words, table, this.count, heap);
  }

  override memoryBytes(): number {
    return (
      super.memoryBytes() +
      (this.compact?.bytes() ?? 0) +
      this.codes.byteLength +
      (this.codebook?.byteLength ?? 0)
    );
  }
}

/** Best rows over 32 sub-spaces (4 words a row), unrolled: this loop is the whole cost of a large-gallery search. */
function scan32(codes: Uint32Array, table: Float32Array, n: number, heap: MinHeap): Int32Array {
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const a = codes[o] ?? 0;
    const b = codes[o + 1] ?? 0;
    const c = codes[o + 2] ?? 0;
    const d = codes[o + 3] ?? 0;
    const s =
      (table[a & 255] ?? 0) +
      (table[256 + ((a >>> 8) & 255)] ?? 0) +
      (table[512 + ((a >>> 16) & 255)] ?? 0) +
      (table[768 + (a >>> 24)] ?? 0) +
      (table[1024 + (b & 255)] ?? 0) +
      (table[1280 + ((b >>> 8) & 255)] ?? 0) +
      (table[1536 + ((b >>> 16) & 255)] ?? 0) +
      (table[1792 + (b >>> 24)] ?? 0) +
      (table[2048 + (c & 255)] ?? 0) +
      (table[2304 + ((c >>> 8) & 255)] ?? 0) +
      (table[2560 + ((c >>> 16) & 255)] ?? 0) +
      (table[2816 + (c >>> 24)] ?? 0) +
      (table[3072 + (d & 255)] ?? 0) +
      (table[3328 + ((d >>> 8) & 255)] ?? 0) +
      (table[3584 + ((d >>> 16) & 255)] ?? 0) +
      (table[3840 + (d >>> 24)] ?? 0);
    if (s > floor) floor = heap.push(s, i);
  }
  return heap.items();
}

/** Best rows over 48 sub-spaces (6 words a row), the choice at 704 dimensions (the default embedder), unrolled. */
function scan48(codes: Uint32Array, table: Float32Array, n: number, heap: MinHeap): Int32Array {
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0, o = 0; i < n; i++, o += 6) {
    const s =
      wordScore(table, 0, codes[o] ?? 0) +
      wordScore(table, 1024, codes[o + 1] ?? 0) +
      wordScore(table, 2048, codes[o + 2] ?? 0) +
      wordScore(table, 3072, codes[o + 3] ?? 0) +
      wordScore(table, 4096, codes[o + 4] ?? 0) +
      wordScore(table, 5120, codes[o + 5] ?? 0);
    if (s > floor) floor = heap.push(s, i);
  }
  return heap.items();
}

/** Best rows for any other number of code words a row. */
function scanWords(
  codes: Uint32Array,
  words: number,
  table: Float32Array,
  n: number,
  heap: MinHeap,
): Int32Array {
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0, o = 0; i < n; i++, o += words) {
    let s = 0;
    for (let w = 0, t = 0; w < words; w++, t += 1024) {
      const x = codes[o + w] ?? 0;
      s +=
        (table[t + (x & 255)] ?? 0) +
        (table[t + 256 + ((x >>> 8) & 255)] ?? 0) +
        (table[t + 512 + ((x >>> 16) & 255)] ?? 0) +
        (table[t + 768 + (x >>> 24)] ?? 0);
    }
    if (s > floor) floor = heap.push(s, i);
  }
  return heap.items();
}

/** Quantised score of one code word (four byte positions from table offset `t`). */
function wordScore(table: Float32Array, t: number, x: number): number {
  return (
    (table[t + (x & 255)] ?? 0) +
    (table[t + 256 + ((x >>> 8) & 255)] ?? 0) +
    (table[t + 512 + ((x >>> 16) & 255)] ?? 0) +
    (table[t + 768 + (x >>> 24)] ?? 0)
  );
}

function nearest(codebook: Float32Array, base: number, w: number, v: Float32Array, vo: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < CENTROIDS; c++) {
    let distance = 0;
    const co = base + c * w;
    for (let j = 0; j < w; j++) {
      const diff = (codebook[co + j] ?? 0) - (v[vo + j] ?? 0);
      distance += diff * diff;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return best;
}

/** Fixed-capacity min-heap of (score, slot) keeping the largest scores. */
class MinHeap {
  private readonly scores: Float32Array;
  private readonly slots: Int32Array;
  private n = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float32Array(Math.max(1, capacity));
    this.slots = new Int32Array(Math.max(1, capacity));
  }

  /** Inserts when there is room or the score beats the minimum; returns the new admission floor. */
  push(score: number, slot: number): number {
    if (this.n < this.capacity) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] ?? 0) <= score) break;
        this.scores[i] = this.scores[parent] ?? 0;
        this.slots[i] = this.slots[parent] ?? 0;
        i = parent;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
    } else if (score > (this.scores[0] ?? 0)) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= this.n) break;
        const r = l + 1;
        const c = r < this.n && (this.scores[r] ?? 0) < (this.scores[l] ?? 0) ? r : l;
        if ((this.scores[c] ?? 0) >= score) break;
        this.scores[i] = this.scores[c] ?? 0;
        this.slots[i] = this.slots[c] ?? 0;
        i = c;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
    }
    return this.n < this.capacity ? Number.NEGATIVE_INFINITY : (this.scores[0] ?? 0);
  }

  items(): Int32Array {
    return this.slots.slice(0, this.n);
  }
}
