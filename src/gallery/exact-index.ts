import { FacegateError } from '../domain/errors.js';
import { at, required } from '../util/checked-access.js';
import type { SearchReport, VectorHit, VectorIndex } from './vector-index.port.js';

// Speed-sensitive: typed-array reads in the scan loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Rows per storage chunk: the index grows a chunk at a time and never copies vectors to grow. */
const DEFAULT_CHUNK_ROWS = 8192;

/** Best-per-owner top-k accumulator used by the scans. */
export class OwnerTopK {
  readonly owners: Int32Array;
  readonly scores: Float32Array;
  readonly slots: Int32Array;
  count = 0;
  /** Best refused owner offered (score above the floor at the time), or -1. */
  rejectedOwner = -1;
  rejectedScore = Number.NEGATIVE_INFINITY;
  rejectedSlot = -1;
  private readonly verdicts = new Map<number, boolean>();

  constructor(
    readonly k: number,
    private readonly accept: ((owner: number) => boolean) | undefined,
  ) {
    this.owners = new Int32Array(k);
    this.scores = new Float32Array(k);
    this.slots = new Int32Array(k);
  }

  /** Score a newcomer must beat to change the result. */
  get floor(): number {
    return this.count < this.k ? Number.NEGATIVE_INFINITY : (this.scores[this.k - 1] ?? 0);
  }

  /** Offers one template's score; keeps each owner's best. */
  offer(owner: number, slot: number, score: number): void {
    if (this.count === this.k && score <= (this.scores[this.k - 1] ?? 0)) return;
    let at = -1;
    for (let i = 0; i < this.count; i++) {
      if (this.owners[i] === owner) {
        at = i;
        break;
      }
    }
    if (at >= 0) {
      if (score <= (this.scores[at] ?? 0)) return;
    } else {
      if (this.accept) {
        let ok = this.verdicts.get(owner);
        if (ok === undefined) {
          ok = this.accept(owner);
          this.verdicts.set(owner, ok);
        }
        if (!ok) {
          if (score > this.rejectedScore) {
            this.rejectedScore = score;
            this.rejectedOwner = owner;
            this.rejectedSlot = slot;
          }
          return;
        }
      }
      at = this.count < this.k ? this.count++ : this.k - 1;
    }
    let i = at;
    while (i > 0 && (this.scores[i - 1] ?? 0) < score) {
      this.owners[i] = this.owners[i - 1] ?? 0;
      this.scores[i] = this.scores[i - 1] ?? 0;
      this.slots[i] = this.slots[i - 1] ?? 0;
      i--;
    }
    this.owners[i] = owner;
    this.scores[i] = score;
    this.slots[i] = slot;
  }
}

/** Dot product of `d` floats of `a` at `ao` with `b` at `bo`. */
export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    s0 += (a[ao + j] ?? 0) * (b[bo + j] ?? 0);
    s1 += (a[ao + j + 1] ?? 0) * (b[bo + j + 1] ?? 0);
    s2 += (a[ao + j + 2] ?? 0) * (b[bo + j + 2] ?? 0);
    s3 += (a[ao + j + 3] ?? 0) * (b[bo + j + 3] ?? 0);
  }
  for (; j < d; j++) s0 += (a[ao + j] ?? 0) * (b[bo + j] ?? 0);
  return s0 + s1 + s2 + s3;
}

/** Scores rows [0, rows) of a chunk against `q` into `out` (8-way unrolled when d % 8 == 0). */
function scanChunk(chunk: Float32Array, rows: number, q: Float32Array, d: number, out: Float32Array): void {
  if (d % 8 !== 0) {
    for (let r = 0; r < rows; r++) out[r] = dot(chunk, r * d, q, 0, d);
    return;
  }
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let j = 0; j < d; j += 8) {
      const p = o + j;
      s0 += (chunk[p] ?? 0) * (q[j] ?? 0);
      s1 += (chunk[p + 1] ?? 0) * (q[j + 1] ?? 0);
      s2 += (chunk[p + 2] ?? 0) * (q[j + 2] ?? 0);
      s3 += (chunk[p + 3] ?? 0) * (q[j + 3] ?? 0);
      s4 += (chunk[p + 4] ?? 0) * (q[j + 4] ?? 0);
      s5 += (chunk[p + 5] ?? 0) * (q[j + 5] ?? 0);
      s6 += (chunk[p + 6] ?? 0) * (q[j + 6] ?? 0);
      s7 += (chunk[p + 7] ?? 0) * (q[j + 7] ?? 0);
    }
    out[r] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  }
}

/**
 * Exact inner-product search over float32 vectors kept in fixed-size chunks of one contiguous Float32Array each.
 * Removal swaps the last row into the hole, so rows stay dense; search scans every row.
 */
export class ExactIndex implements VectorIndex {
  readonly kind: string = 'exact';
  protected readonly chunks: Float32Array[] = [];
  protected ownerOfSlot = new Int32Array(1024);
  protected templateOfSlot: string[] = [];
  protected readonly slotOf = new Map<string, number>();
  protected readonly ownerNumber = new Map<string, number>();
  protected readonly ownerNames: string[] = [];
  protected readonly templatesOfOwner = new Map<number, Set<string>>();
  protected count = 0;
  private scratch: Float32Array;

  constructor(
    readonly dimension: number,
    protected readonly chunkRows = DEFAULT_CHUNK_ROWS,
  ) {
    if (!Number.isInteger(dimension) || dimension <= 0)
      throw new Error('dimension must be a positive integer');
    this.scratch = new Float32Array(chunkRows);
  }

  get size(): number {
    return this.count;
  }

  protected rowOffset(slot: number): [Float32Array, number] {
    return [at(this.chunks, Math.floor(slot / this.chunkRows)), (slot % this.chunkRows) * this.dimension];
  }

  protected assertDimension(vector: Float32Array): void {
    if (vector.length !== this.dimension) {
      throw new FacegateError('MODEL_MISMATCH', 'Vector dimension does not match the gallery', {
        expected: this.dimension,
        actual: vector.length,
      });
    }
  }

  add(templateId: string, ownerId: string, vector: Float32Array): void {
    this.assertDimension(vector);
    if (this.slotOf.has(templateId)) this.remove(templateId);
    const slot = this.count;
    if (slot >= this.ownerOfSlot.length) {
      const grown = new Int32Array(this.ownerOfSlot.length * 2);
      grown.set(this.ownerOfSlot);
      this.ownerOfSlot = grown;
    }
    let owner = this.ownerNumber.get(ownerId);
    if (owner === undefined) {
      owner = this.ownerNames.length;
      this.ownerNames.push(ownerId);
      this.ownerNumber.set(ownerId, owner);
    }
    this.writeRow(slot, vector);
    this.ownerOfSlot[slot] = owner;
    this.templateOfSlot[slot] = templateId;
    this.slotOf.set(templateId, slot);
    let set = this.templatesOfOwner.get(owner);
    if (!set) {
      set = new Set();
      this.templatesOfOwner.set(owner, set);
    }
    set.add(templateId);
    this.count++;
    this.afterAdd(slot, vector);
  }

  /** Stores the vector of a new slot (the next dense slot). */
  protected writeRow(slot: number, vector: Float32Array): void {
    if (slot >= this.chunks.length * this.chunkRows) {
      this.chunks.push(new Float32Array(this.chunkRows * this.dimension));
    }
    const [chunk, offset] = this.rowOffset(slot);
    chunk.set(vector, offset);
  }

  /** Copies the stored vector of slot `from` over slot `to`. */
  protected copyRow(from: number, to: number): void {
    const [dst, dstOffset] = this.rowOffset(to);
    const [src, srcOffset] = this.rowOffset(from);
    dst.set(src.subarray(srcOffset, srcOffset + this.dimension), dstOffset);
  }

  /** Releases trailing storage once two chunks are empty, keeping one spare to avoid thrashing. */
  protected trimRows(): void {
    while (this.chunks.length > 1 && (this.chunks.length - 2) * this.chunkRows >= this.count)
      this.chunks.pop();
  }

  /** Score of one stored vector against `query`. */
  protected scoreSlot(slot: number, query: Float32Array): number {
    const [chunk, offset] = this.rowOffset(slot);
    return dot(chunk, offset, query, 0, this.dimension);
  }

  /** Hook for derived indexes (codes); called after a row was written. */
  protected afterAdd(_slot: number, _vector: Float32Array): void {}

  /** Hook for derived indexes; called after row `from` was moved to `to`. */
  protected afterMove(_from: number, _to: number): void {}

  remove(templateId: string): boolean {
    const slot = this.slotOf.get(templateId);
    if (slot === undefined) return false;
    const owner = this.ownerOfSlot[slot] ?? 0;
    const last = this.count - 1;
    if (slot !== last) {
      this.copyRow(last, slot);
      const moved = at(this.templateOfSlot, last);
      this.ownerOfSlot[slot] = this.ownerOfSlot[last] ?? 0;
      this.templateOfSlot[slot] = moved;
      this.slotOf.set(moved, slot);
      this.afterMove(last, slot);
    }
    this.templateOfSlot.length = last;
    this.slotOf.delete(templateId);
    this.count = last;
    const set = this.templatesOfOwner.get(owner);
    set?.delete(templateId);
    if (set && set.size === 0) {
      this.templatesOfOwner.delete(owner);
      this.ownerNumber.delete(at(this.ownerNames, owner));
    }
    this.trimRows();
    return true;
  }

  removeOwner(ownerId: string): number {
    const owner = this.ownerNumber.get(ownerId);
    if (owner === undefined) return 0;
    const ids = [...(this.templatesOfOwner.get(owner) ?? [])];
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  *owners(): Iterable<string> {
    for (const owner of this.templatesOfOwner.keys()) yield at(this.ownerNames, owner);
  }

  has(templateId: string): boolean {
    return this.slotOf.has(templateId);
  }

  ownerSize(ownerId: string): number {
    const owner = this.ownerNumber.get(ownerId);
    return owner === undefined ? 0 : (this.templatesOfOwner.get(owner)?.size ?? 0);
  }

  ownerScore(query: Float32Array, ownerId: string): VectorHit | null {
    this.assertDimension(query);
    const owner = this.ownerNumber.get(ownerId);
    if (owner === undefined) return null;
    let best: VectorHit | null = null;
    for (const templateId of this.templatesOfOwner.get(owner) ?? []) {
      const score = this.scoreSlot(
        required(this.slotOf.get(templateId), 'this.slotOf.get(templateId)'),
        query,
      );
      if (!best || score > best.score) best = { templateId, ownerId, score };
    }
    return best;
  }

  protected topK(k: number, accept?: (ownerId: string) => boolean): OwnerTopK {
    return new OwnerTopK(Math.max(1, k), accept && ((owner: number) => accept(at(this.ownerNames, owner))));
  }

  protected hits(top: OwnerTopK, report?: SearchReport): VectorHit[] {
    if (report) {
      report.rejectedBest =
        top.rejectedOwner < 0
          ? null
          : {
              templateId: at(this.templateOfSlot, top.rejectedSlot),
              ownerId: at(this.ownerNames, top.rejectedOwner),
              score: top.rejectedScore,
            };
    }
    const out: VectorHit[] = [];
    for (let i = 0; i < top.count; i++) {
      out.push({
        templateId: at(this.templateOfSlot, at(top.slots, i)),
        ownerId: at(this.ownerNames, at(top.owners, i)),
        score: top.scores[i] ?? 0,
      });
    }
    return out;
  }

  search(
    query: Float32Array,
    k: number,
    accept?: (ownerId: string) => boolean,
    report?: SearchReport,
  ): VectorHit[] {
    return this.searchExact(query, k, accept, report);
  }

  /** Full scan of every stored vector (on a derived index, at its stored precision), with no candidate pre-selection. */
  searchExact(
    query: Float32Array,
    k: number,
    accept?: (ownerId: string) => boolean,
    report?: SearchReport,
  ): VectorHit[] {
    this.assertDimension(query);
    const top = this.topK(k, accept);
    this.exactScan(query, top);
    return this.hits(top, report);
  }

  /** Scores every row into `top`. */
  protected exactScan(query: Float32Array, top: OwnerTopK): void {
    const out = this.scratch;
    const owners = this.ownerOfSlot;
    for (let c = 0; c < this.chunks.length; c++) {
      const base = c * this.chunkRows;
      const rows = Math.min(this.chunkRows, this.count - base);
      if (rows <= 0) break;
      scanChunk(at(this.chunks, c), rows, query, this.dimension, out);
      let floor = top.floor;
      for (let r = 0; r < rows; r++) {
        const s = out[r] ?? 0;
        if (s > floor) {
          top.offer(owners[base + r] ?? 0, base + r, s);
          floor = top.floor;
        }
      }
    }
  }

  memoryBytes(): number {
    return this.chunks.length * this.chunkRows * this.dimension * 4 + this.ownerOfSlot.byteLength;
  }

  /** Nothing to release: the exact index holds heap memory only. */
  async close(): Promise<void> {}
}
