import type { CachedEmbedding } from './embedding-cache.js';
import type { ScoredImage } from './eval-report.js';

/** Scales `v` to unit length (a copy); a zero vector stays zero. */
export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  const n = Math.sqrt(s);
  return n > 0 ? v.map((x) => x / n) : v.slice();
}

/**
 * Splits a fused vector (the engine's concatenation of √weight-scaled unit vectors) back into its members'
 * unit vectors, given the members' dimensions in order.
 */
export function splitFused(vector: Float32Array, dims: readonly number[]): Float32Array[] {
  const total = dims.reduce((s, d) => s + d, 0);
  if (total !== vector.length)
    throw new RangeError(`fused vector has ${vector.length} dims, expected ${total}`);
  let offset = 0;
  return dims.map((d) => {
    const part = unit(vector.subarray(offset, offset + d));
    offset += d;
    return part;
  });
}

/**
 * Fuses members' unit vectors like the engine does: concatenation of √weight · member (weights normalised to
 * sum 1), so that the dot product of two fused vectors is the weighted average of the members' cosines.
 * Returns null when any member is missing (no face).
 */
export function fuse(
  parts: readonly (Float32Array | null)[],
  weights: readonly number[],
): Float32Array | null {
  if (parts.some((p) => p === null)) return null;
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Float32Array(parts.reduce((s, p) => s + (p as Float32Array).length, 0));
  let offset = 0;
  parts.forEach((p, i) => {
    const w = Math.sqrt((weights[i] ?? 0) / total);
    const v = p as Float32Array;
    for (let k = 0; k < v.length; k++) out[offset + k] = (v[k] as number) * w;
    offset += v.length;
  });
  return out;
}

/** Per-image member embeddings taken out of a fused embedding cache. */
export function membersFromCache(
  entries: ReadonlyMap<string, CachedEmbedding>,
  dims: readonly number[],
): Map<string, { members: (Float32Array | null)[]; ms: number | null }> {
  const out = new Map<string, { members: (Float32Array | null)[]; ms: number | null }>();
  for (const [rel, e] of entries) {
    out.set(rel, {
      members: e.embedding ? splitFused(e.embedding, dims) : dims.map(() => null),
      ms: e.ms,
    });
  }
  return out;
}

/** Images for the scorer from member embeddings combined with `weights` (a single 1 picks one member). */
export function combineMembers(
  members: ReadonlyMap<string, { members: (Float32Array | null)[]; ms: number | null }>,
  weights: readonly number[],
): Map<string, ScoredImage> {
  const out = new Map<string, ScoredImage>();
  for (const [rel, m] of members) {
    const used = m.members.filter((_, i) => (weights[i] ?? 0) > 0);
    const w = weights.filter((x) => x > 0);
    const embedding = used.length === 1 ? (used[0] ?? null) : fuse(used, w);
    out.set(rel, { embedding, ms: m.ms });
  }
  return out;
}
