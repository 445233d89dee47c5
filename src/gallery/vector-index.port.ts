/** One search hit: an owner (employee) and its best-scoring template. */
export interface VectorHit {
  templateId: string;
  ownerId: string;
  /** Dot product with the query (cosine similarity for unit vectors). */
  score: number;
}

/** Filled by `search` when an `accept` filter is given. */
export interface SearchReport {
  /**
   * Best template among owners the filter refused, when it scored at least as high as the search's admission floor
   * at the time (so any refused owner scoring above the k-th accepted owner is seen).
   */
  rejectedBest: VectorHit | null;
}

/**
 * An in-memory index of unit vectors, each owned by an employee. `search` ranks owners, not templates:
 * each owner appears at most once, with the score of its best template.
 */
export interface VectorIndex {
  readonly kind: string;
  readonly dimension: number;
  /** Number of vectors (templates). */
  readonly size: number;
  /** Adds (or replaces) a template's vector; the vector is copied. */
  add(templateId: string, ownerId: string, vector: Float32Array): void;
  /** Removes one template; false when absent. */
  remove(templateId: string): boolean;
  /** Removes every template of an owner; returns how many. */
  removeOwner(ownerId: string): number;
  /**
   * Best `k` owners for `query`, best first. `accept` (when given) filters owners; it is only consulted for owners
   * that would enter the top k.
   */
  search(
    query: Float32Array,
    k: number,
    accept?: (ownerId: string) => boolean,
    report?: SearchReport,
  ): VectorHit[];
  /**
   * Best score of `query` against one owner's templates, or null when it has none: every stored vector is scored
   * (no candidate pre-selection), on the index's stored precision.
   */
  ownerScore(query: Float32Array, ownerId: string): VectorHit | null;
  /** Number of templates of an owner. */
  ownerSize(ownerId: string): number;
  /** Every owner with at least one template. */
  owners(): Iterable<string>;
  /** Whether a template is indexed. */
  has(templateId: string): boolean;
  /** Bytes held for vectors and codes (approximate; excludes Map overhead). */
  memoryBytes(): number;
  /** Releases what the index holds outside the heap (a helper thread); the index stays usable. */
  close(): Promise<void>;
}
