import { at } from '../util/checked-access.js';
/** A 3×3 projective transform, row-major, normalised so that the last entry is 1. */
export type Homography = readonly [number, number, number, number, number, number, number, number, number];

/** A 2-D point as [x, y]. */
export type Point2 = readonly [number, number];

/** The fitted transform and how well it explains the correspondences. */
export interface HomographyFit {
  h: Homography;
  /** Root mean square of the reprojection errors, in the units of the destination points. */
  rms: number;
}

interface Normaliser {
  /** Applies the similarity that moves the centroid to 0 and the mean distance to √2. */
  apply(p: Point2): Point2;
  scale: number;
  cx: number;
  cy: number;
}

function normaliser(points: readonly Point2[]): Normaliser {
  let cx = 0;
  let cy = 0;
  for (const [x, y] of points) {
    cx += x;
    cy += y;
  }
  cx /= points.length;
  cy /= points.length;
  let d = 0;
  for (const [x, y] of points) d += Math.hypot(x - cx, y - cy);
  d /= points.length;
  const scale = d > 0 ? Math.SQRT2 / d : 1;
  return { scale, cx, cy, apply: ([x, y]) => [(x - cx) * scale, (y - cy) * scale] };
}

/** Solves the square system `a · x = b` in place by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(at(at(a, r), col)) > Math.abs(at(at(a, pivot), col))) pivot = r;
    if (Math.abs(at(at(a, pivot), col)) < 1e-12) return undefined;
    [a[col], a[pivot]] = [at(a, pivot), at(a, col)];
    [b[col], b[pivot]] = [at(b, pivot), at(b, col)];
    for (let r = col + 1; r < n; r++) {
      const f = at(at(a, r), col) / at(at(a, col), col);
      if (f === 0) continue;
      for (let c = col; c < n; c++) at(a, r)[c] = at(at(a, r), c) - f * at(at(a, col), c);
      b[r] = at(b, r) - f * at(b, col);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = at(b, r);
    for (let c = r + 1; c < n; c++) s -= at(at(a, r), c) * at(x, c);
    x[r] = s / at(at(a, r), r);
  }
  return x;
}

/** Maps a point through a homography. */
export function applyHomography(h: Homography, [x, y]: Point2): Point2 {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** Normal equations of the linear DLT with h33 = 1, on Hartley-normalised points. */
function normalEquations(src: readonly Point2[], dst: readonly Point2[]): { a: number[][]; b: number[] } {
  const a = Array.from({ length: 8 }, () => new Array<number>(8).fill(0));
  const b = new Array<number>(8).fill(0);
  const add = (row: readonly number[], rhs: number): void => {
    for (let i = 0; i < 8; i++) {
      b[i] = at(b, i) + at(row, i) * rhs;
      for (let j = 0; j < 8; j++) at(a, i)[j] = at(at(a, i), j) + at(row, i) * at(row, j);
    }
  };
  for (let k = 0; k < src.length; k++) {
    const [x, y] = at(src, k);
    const [u, v] = at(dst, k);
    add([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    add([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  return { a, b };
}

/**
 * Least-squares homography from `src` to `dst` (direct linear transform with Hartley normalisation of both
 * point sets), or undefined when the points are degenerate (fewer than 4, or collinear).
 */
export function fitHomography(src: readonly Point2[], dst: readonly Point2[]): HomographyFit | undefined {
  if (src.length !== dst.length || src.length < 4) return undefined;
  const ns = normaliser(src);
  const nd = normaliser(dst);
  const { a, b } = normalEquations(src.map(ns.apply), dst.map(nd.apply));
  const x = solveLinear(a, b);
  if (!x) return undefined;
  // Undo the normalisations: H = Td⁻¹ · Hn · Ts.
  const hn = [...x, 1];
  const ts = [ns.scale, 0, -ns.scale * ns.cx, 0, ns.scale, -ns.scale * ns.cy, 0, 0, 1];
  const tdInv = [1 / nd.scale, 0, nd.cx, 0, 1 / nd.scale, nd.cy, 0, 0, 1];
  const m = multiply3(tdInv, multiply3(hn, ts));
  if (Math.abs(at(m, 8)) < 1e-12) return undefined;
  const h = m.map((v) => v / at(m, 8)) as unknown as Homography;
  let sq = 0;
  for (let k = 0; k < src.length; k++) {
    const [px, py] = applyHomography(h, at(src, k));
    const [u, v] = at(dst, k);
    sq += (px - u) ** 2 + (py - v) ** 2;
  }
  return { h, rms: Math.sqrt(sq / src.length) };
}

function multiply3(p: readonly number[], q: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += at(p, r * 3 + k) * at(q, k * 3 + c);
      out[r * 3 + c] = s;
    }
  }
  return out;
}
