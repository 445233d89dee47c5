import { required } from '../util/checked-access.js';
import { dot, ExactIndex, type OwnerTopK } from './exact-index.js';
import { FastScanCodes, quantiseTables, type ScanEngine } from './fast-scan.js';
import { CHUNK_ROWS, ParallelScan, type SelectionRun } from './parallel-scan.js';
import { pqParamsFor } from './pq-params.js';
import { QuantisedVectors } from './quantised-vectors.js';
import { seededRandom } from './seeded-random.js';
import type { SearchReport, VectorHit } from './vector-index.port.js';

// Speed-sensitive: typed-array reads in the scan loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Tuning of {@link PqIndex}; sub-spaces and re-rank depth default to {@link pqParamsFor} of the dimension. */
export interface PqIndexOptions {
  /** Number of sub-spaces (4-bit codes, two per byte); a multiple of 8. Default from the dimension. */
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
  /** The code scan: WebAssembly SIMD (default where available) or its TypeScript reference. */
  scan?: ScanEngine;
  /**
   * Threads that scan the codes of a search: 2 (default: the calling thread and one helper thread sharing the
   * codes' memory, started at the first search over at least two chunks of rows) or 1. The WebAssembly scan only.
   */
  scanThreads?: 1 | 2;
}

const CENTROIDS = 16;

/** Helper threads of indexes that were dropped without `close()`. */
const orphanHelpers = new FinalizationRegistry<ParallelScan>((helper) => {
  void helper.close();
});

/**
 * Approximate search for large galleries: product quantisation with 16 centroids per sub-space (4-bit codes),
 * asymmetric distance via per-query u8 lookup tables, a full "fast scan" of the codes (WebAssembly SIMD, see
 * {@link FastScanCodes}) to keep the best `rerank` templates, then re-ranking of those on the stored vectors (SIMD
 * on the 10-bit vectors in place, see {@link QuantisedVectors}). A linear scan of compact codes (rather than a
 * partition such as IVF) keeps recall high even on unstructured vectors. Below `trainAt` vectors it is an exact
 * float32 index. Once trained (and `compact`), vectors are kept in 10 bits with a per-vector scale (1.25 d + 4 bytes
 * rather than 4 d), so every score, also `ownerScore` and `searchExact`, is then that approximation of the cosine
 * (error about 10⁻⁴, under the 0.001 steps of the calibrated thresholds).
 */
export class PqIndex extends ExactIndex {
  override readonly kind: string = 'pq';
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
  /** Codes in the fast-scan layout, once trained. */
  private codes: FastScanCodes | null = null;
  private readonly scanEngine: ScanEngine | undefined;
  /** One row's codes while encoding. */
  private readonly rowCodes: Uint8Array;
  /** Float and quantised lookup tables of the current query. */
  private readonly single: Float32Array;
  private readonly tables: Uint8Array;
  private readonly enabled: boolean;
  /** The 10-bit vectors once trained and compact (the float32 chunks are then released). */
  private compact: QuantisedVectors | null = null;
  /** Slots of the current query's candidates, ascending, and their re-rank scores. */
  private readonly candidateSlots: Int32Array;
  private readonly candidateScores: Float32Array;
  private readonly scanThreads: 1 | 2;
  /** The second scanning thread, once started (null before, with one thread, or after `close`). */
  private helper: ParallelScan | null = null;
  private helperStarted = false;
  private closed = false;
  /** How the helper thread took part in the last search's selection (null: it had none). */
  protected lastSelection: SelectionRun | null = null;

  constructor(dimension: number, options: PqIndexOptions = {}) {
    super(dimension, options.chunkRows);
    const params = pqParamsFor(dimension);
    const requested = options.subspaces ?? params.subspaces;
    if (requested < 8 || requested % 8 !== 0) throw new Error('subspaces must be a multiple of 8');
    // Sub-spaces come in multiples of eight 4-bit codes; vectors under 8 dimensions stay exact.
    const m = Math.floor(Math.min(requested, dimension) / 8) * 8;
    this.m = Math.max(m, 8);
    this.scanEngine = options.scan;
    this.rowCodes = new Uint8Array(this.m);
    this.single = new Float32Array(this.m * CENTROIDS);
    this.tables = new Uint8Array(this.m * CENTROIDS);
    this.rerank = options.rerank ?? params.rerank;
    this.candidateSlots = new Int32Array(this.rerank);
    this.candidateScores = new Float32Array(this.rerank);
    this.scanThreads = options.scanThreads ?? 2;
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

  /** The code scan in use once trained (null before). */
  get scan(): ScanEngine | null {
    return this.codes?.engine ?? null;
  }

  /** True once codebooks exist (searches are approximate). */
  get trained(): boolean {
    return this.codebook !== null;
  }

  protected override afterAdd(slot: number, vector: Float32Array): void {
    if (!this.codes) {
      if (this.count >= this.trainAt) this.train();
      return;
    }
    this.codes.ensure(slot + 1);
    this.encodeInto(vector, 0, slot);
  }

  protected override afterMove(from: number, to: number): void {
    this.codes?.move(from, to);
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
    const codes = new FastScanCodes(this.m, this.rerank, this.scanEngine);
    codes.ensure(n);
    this.codes = codes;
    const row = new Float32Array(d);
    for (let slot = 0; slot < n; slot++) {
      this.readRow(slot, row, 0);
      this.encodeInto(row, 0, slot);
    }
    if (this.compactOnTrain && !this.compact) this.compactRows();
  }

  /** Moves every float32 row into 10-bit storage and releases the float32 chunks. */
  private compactRows(): void {
    const compact = new QuantisedVectors(this.dimension, this.chunkRows, {
      wasm: this.scanEngine !== 'typescript',
      depth: this.rerank,
    });
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
    for (let s = 0; s < this.m; s++) {
      const lo = this.bounds[s] ?? 0;
      const w = (this.bounds[s + 1] ?? 0) - lo;
      this.rowCodes[s] = nearest(codebook, CENTROIDS * lo, w, source, offset + lo);
    }
    required(this.codes, 'this.codes').set(slot, this.rowCodes);
  }

  override search(
    query: Float32Array,
    k: number,
    accept?: (ownerId: string) => boolean,
    report?: SearchReport,
  ): VectorHit[] {
    if (!this.codes) return this.searchExact(query, k, accept, report);
    this.assertDimension(query);
    const top = this.topK(k, accept);
    this.loadTables(query);
    const count = this.selectCandidates(this.scanThreads);
    this.scoreCandidates(query, count);
    this.offerCandidates(top, count);
    return this.hits(top, report);
  }

  /** The query's score of every centroid, `single[s * 16 + c]`, quantised into the scan's u8 tables. */
  protected loadTables(query: Float32Array): void {
    const codes = required(this.codes, 'this.codes');
    const codebook = required(this.codebook, 'this.codebook');
    for (let s = 0; s < this.m; s++) {
      const lo = this.bounds[s] ?? 0;
      const w = (this.bounds[s + 1] ?? 0) - lo;
      for (let c = 0; c < CENTROIDS; c++) {
        this.single[s * CENTROIDS + c] = dot(codebook, CENTROIDS * lo + c * w, query, lo, w);
      }
    }
    quantiseTables(this.single, this.m, this.tables);
    codes.setTables(this.tables);
  }

  /**
   * Selects the `rerank` best rows by quantised score under the loaded tables (ties to the lower row) into the
   * candidate slots, ascending; returns how many. With two threads, a helper thread scans part of the rows (see
   * {@link ParallelScan}): the rows selected are the same.
   */
  protected selectCandidates(threads: 1 | 2): number {
    const codes = required(this.codes, 'this.codes');
    const n = this.count;
    const helper = threads === 2 ? this.startHelper(codes, n) : null;
    if (helper) this.lastSelection = helper.select(n);
    else {
      this.lastSelection = null;
      codes.resetHeap(0);
      codes.select(0, n, 0);
    }
    return codes.heapRows(0, this.candidateSlots);
  }

  /** The helper thread, started (once) when the index holds two chunks of rows (null: scan on this thread). */
  private startHelper(codes: FastScanCodes, rows: number): ParallelScan | null {
    if (this.helperStarted || this.closed || rows < 2 * CHUNK_ROWS) return this.helper;
    this.helperStarted = true;
    this.helper = ParallelScan.start(codes);
    if (this.helper) orphanHelpers.register(this, this.helper, this);
    return this.helper;
  }

  /** Scores the first `count` candidate slots against the query on the stored vectors. */
  protected scoreCandidates(query: Float32Array, count: number): void {
    const slots = this.candidateSlots;
    const scores = this.candidateScores;
    const compact = this.compact;
    if (compact?.simd) {
      const step = compact.prepareQuery(query);
      compact.scoreRange(slots, 0, count, step, scores);
    } else {
      for (let i = 0; i < count; i++) scores[i] = this.scoreSlot(slots[i] ?? 0, query);
    }
  }

  /** Offers the scored candidates to the owners' top k. */
  protected offerCandidates(top: OwnerTopK, count: number): void {
    const owners = this.ownerOfSlot;
    const slots = this.candidateSlots;
    const scores = this.candidateScores;
    for (let i = 0; i < count; i++) {
      const slot = slots[i] ?? 0;
      top.offer(owners[slot] ?? 0, slot, scores[i] ?? 0);
    }
  }

  /** True while a helper thread scans part of the codes (started and neither failed nor closed). */
  get helperReady(): boolean {
    return this.helper?.ready ?? false;
  }

  /** Stops the helper thread, if any; searches go on, on the calling thread only. */
  override async close(): Promise<void> {
    this.closed = true;
    const helper = this.helper;
    this.helper = null;
    if (!helper) return;
    orphanHelpers.unregister(this);
    await helper.close();
  }

  /**
   * Bytes of fixed memory, whatever the gallery's size: the codebooks, the scan's control words, tables and heaps,
   * the re-rank kernel's header, and the unused end of each memory's last 64 KiB page. Included in
   * {@link memoryBytes}.
   */
  get workspaceBytes(): number {
    return (
      (this.codebook?.byteLength ?? 0) +
      (this.codes?.workspaceBytes ?? 0) +
      (this.compact?.overheadBytes ?? 0)
    );
  }

  override memoryBytes(): number {
    return (
      super.memoryBytes() +
      (this.compact?.bytes() ?? 0) +
      (this.codes?.byteLength() ?? 0) +
      (this.codebook?.byteLength ?? 0)
    );
  }
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
