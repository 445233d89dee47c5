/** Product-quantiser parameters of {@link PqIndex} for one dimension. */
export interface PqParams {
  /** Sub-spaces, a multiple of 8 (4-bit codes, two per byte). */
  subspaces: number;
  /** Bits per sub-space code: 4 (16 centroids), so that one SIMD table look-up scores a sub-space for 16 templates. */
  bits: 4;
  /** Candidates kept by the quantised scan and re-ranked on the stored vectors. */
  rerank: number;
}

/** Dimensions per sub-space aimed at: the setting measured at recall@1 1.000 at 1 M templates (512 / 32). */
const DIMS_PER_SUBSPACE = 16;
/** Re-rank depth per started 512 dimensions. */
const BASE_RERANK = 512;

/**
 * Parameters chosen from the dimension. A sub-space of 16 centroids keeps a share of a vector's energy that falls
 * as the sub-space widens, so the sub-space count grows with the dimension (about 16 dimensions each, rounded up
 * to a multiple of 8): a fixed 32 sub-spaces at 704 dimensions (22 each) ranks the true best match far lower in the
 * quantised scan (at 200 k templates and cosine 0.4, 90th percentile rank 59 against 1 with 48 sub-spaces). The
 * re-rank depth is 512 per started 512 dimensions: re-ranking reads compact 10-bit vectors, so its cost stays small.
 */
export function pqParamsFor(dimension: number): PqParams {
  if (!Number.isInteger(dimension) || dimension <= 0) throw new Error('dimension must be a positive integer');
  const subspaces = Math.max(8, Math.ceil(dimension / DIMS_PER_SUBSPACE / 8) * 8);
  const rerank = BASE_RERANK * Math.ceil(dimension / 512);
  return { subspaces, bits: 4, rerank };
}
