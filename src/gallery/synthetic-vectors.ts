import { at } from '../util/checked-access.js';
/**
 * Synthetic galleries for the gallery benchmark and the large-gallery tests: isotropic unit vectors, and vectors
 * drawn from a distribution fitted to real embeddings (mean plus a low-rank covariance plus isotropic noise).
 *
 * The generator has a 2^128 − 1 period, so a million vectors of any dimension never repeat: a short-period
 * generator whose period shares a factor with the dimension makes a gallery of exact duplicates, and an index then
 * looks wrong because it picks another copy than the exact scan does.
 */

/** xoshiro128**: seeded, 2^128 − 1 period, uniform floats in [0, 1). */
export function xoshiro128(seed: number): () => number {
  // SplitMix32 spreads the seed over the 128-bit state (never all zero).
  let z = seed >>> 0;
  const mix = (): number => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
    t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
    return (t ^ (t >>> 16)) >>> 0;
  };
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix() | 1;
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard normal deviates (Box–Muller over {@link xoshiro128}). */
export function gaussian(seed: number): () => number {
  const uniform = xoshiro128(seed);
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = Number.NaN;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Scales `v` to unit length in place and returns it. */
export function normaliseInPlace(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += (v[i] ?? 0) * (v[i] ?? 0);
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  return v;
}

/** A uniformly random direction on the unit sphere. */
export function randomUnit(dim: number, normal: () => number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = normal();
  return normaliseInPlace(v);
}

/** A unit vector at cosine `cos` to the unit vector `g` (a same-person probe of a given score). */
export function probeAtCosine(g: Float32Array, cos: number, normal: () => number): Float32Array {
  const n = randomUnit(g.length, normal);
  let proj = 0;
  for (let i = 0; i < g.length; i++) proj += (n[i] ?? 0) * (g[i] ?? 0);
  for (let i = 0; i < g.length; i++) n[i] = (n[i] ?? 0) - proj * (g[i] ?? 0);
  normaliseInPlace(n);
  const sin = Math.sqrt(1 - cos * cos);
  const q = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) q[i] = cos * (g[i] ?? 0) + sin * (n[i] ?? 0);
  return normaliseInPlace(q);
}

/** Mean, principal axes with their standard deviations, and the per-dimension spread left over. */
export interface EmbeddingDistribution {
  mean: Float32Array;
  /** Unit principal axes, one Float32Array each, largest variance first. */
  axes: Float32Array[];
  /** Standard deviation along each axis. */
  sigmas: number[];
  /** Standard deviation of the isotropic remainder, per dimension. */
  residualSigma: number;
}

/**
 * Fits mean + `rank` principal axes + isotropic remainder to unit embeddings (PCA through the n × n Gram matrix,
 * which is small when there are fewer embeddings than dimensions).
 */
export function fitEmbeddingDistribution(embeddings: Float32Array[], rank: number): EmbeddingDistribution {
  const n = embeddings.length;
  const d = at(embeddings, 0).length;
  const mean = new Float64Array(d);
  for (const e of embeddings) for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) + (e[j] ?? 0) / n;
  const centred = embeddings.map((e) => Float64Array.from(e, (x, j) => x - (mean[j] ?? 0)));
  const gram = new Float64Array(n * n);
  let total = 0;
  for (let a = 0; a < n; a++) {
    const ca = at(centred, a);
    for (let b = a; b < n; b++) {
      const cb = at(centred, b);
      let s = 0;
      for (let j = 0; j < d; j++) s += (ca[j] ?? 0) * (cb[j] ?? 0);
      gram[a * n + b] = s;
      gram[b * n + a] = s;
    }
    total += gram[a * n + a] ?? 0;
  }
  const k = Math.min(rank, n - 1);
  const eigen = topEigen(gram, n, k);
  const axes: Float32Array[] = [];
  const sigmas: number[] = [];
  let explained = 0;
  for (const { value, vector } of eigen) {
    if (!(value > 1e-12)) break;
    // Axis in embedding space = centred^T · u / sqrt(λ); variance along it = λ / n.
    const axis = new Float64Array(d);
    for (let a = 0; a < n; a++) {
      const ca = at(centred, a);
      const va = vector[a] ?? 0;
      for (let j = 0; j < d; j++) axis[j] = (axis[j] ?? 0) + (ca[j] ?? 0) * va;
    }
    const norm = Math.sqrt(axis.reduce((s, x) => s + x * x, 0));
    axes.push(Float32Array.from(axis, (x) => x / norm));
    sigmas.push(Math.sqrt(value / n));
    explained += value;
  }
  const residualSigma = Math.sqrt(Math.max(0, total - explained) / n / Math.max(1, d - axes.length));
  return { mean: Float32Array.from(mean), axes, sigmas, residualSigma };
}

/** Top-k eigenpairs of a symmetric n × n matrix by orthogonal (subspace) iteration. */
function topEigen(m: Float64Array, n: number, k: number): Array<{ value: number; vector: Float64Array }> {
  const normal = gaussian(12345);
  let basis: Float64Array[] = Array.from({ length: k }, () => Float64Array.from({ length: n }, normal));
  for (let it = 0; it < 60; it++) {
    basis = basis.map((v) => multiply(m, n, v));
    orthonormalise(basis);
  }
  return basis
    .map((v) => ({ value: dot64(v, multiply(m, n, v)), vector: v }))
    .sort((x, y) => y.value - x.value);
}

function multiply(m: Float64Array, n: number, v: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (m[i * n + j] ?? 0) * (v[j] ?? 0);
    out[i] = s;
  }
  return out;
}

function dot64(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function orthonormalise(basis: Float64Array[]): void {
  for (let i = 0; i < basis.length; i++) {
    const v = at(basis, i);
    for (let j = 0; j < i; j++) {
      const p = dot64(v, at(basis, j));
      const u = at(basis, j);
      for (let t = 0; t < v.length; t++) v[t] = (v[t] ?? 0) - p * (u[t] ?? 0);
    }
    const norm = Math.sqrt(dot64(v, v)) || 1;
    for (let t = 0; t < v.length; t++) v[t] = (v[t] ?? 0) / norm;
  }
}

/** A unit vector drawn from a fitted distribution (an embedding of a random stranger). */
export function sampleEmbedding(dist: EmbeddingDistribution, normal: () => number): Float32Array {
  const d = dist.mean.length;
  const v = new Float32Array(d);
  for (let j = 0; j < d; j++) v[j] = (dist.mean[j] ?? 0) + dist.residualSigma * normal();
  for (let a = 0; a < dist.axes.length; a++) {
    const w = (dist.sigmas[a] ?? 0) * normal();
    const axis = at(dist.axes, a);
    for (let j = 0; j < d; j++) v[j] = (v[j] ?? 0) + w * (axis[j] ?? 0);
  }
  return normaliseInPlace(v);
}
