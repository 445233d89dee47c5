import { at } from '../util/checked-access.js';
import { fitHomography, type Point2 } from './homography.js';

/** How two views of the same landmarks relate, both residuals divided by the face's inter-ocular distance. */
export interface PairMotion {
  i: number;
  j: number;
  /** What a similarity (shift, scale, in-plane turn) leaves unexplained: how much the face changed shape. */
  similarity: number;
  /** What a homography leaves unexplained: how far the change is from that of a flat picture. */
  homography: number;
}

/** Residual of the least-squares similarity transform from `src` to `dst` (RMS, destination units). */
export function similarityResidual(src: readonly Point2[], dst: readonly Point2[]): number {
  const n = src.length;
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let k = 0; k < n; k++) {
    sx += at(src, k)[0];
    sy += at(src, k)[1];
    dx += at(dst, k)[0];
    dy += at(dst, k)[1];
  }
  [sx, sy, dx, dy] = [sx / n, sy / n, dx / n, dy / n];
  let num1 = 0;
  let num2 = 0;
  let den = 0;
  for (let k = 0; k < n; k++) {
    const x = at(src, k)[0] - sx;
    const y = at(src, k)[1] - sy;
    const u = at(dst, k)[0] - dx;
    const v = at(dst, k)[1] - dy;
    num1 += x * u + y * v;
    num2 += x * v - y * u;
    den += x * x + y * y;
  }
  const a = den > 0 ? num1 / den : 1;
  const b = den > 0 ? num2 / den : 0;
  let sq = 0;
  for (let k = 0; k < n; k++) {
    const x = at(src, k)[0] - sx;
    const y = at(src, k)[1] - sy;
    const u = a * x - b * y + dx;
    const v = b * x + a * y + dy;
    sq += (u - at(dst, k)[0]) ** 2 + (v - at(dst, k)[1]) ** 2;
  }
  return Math.sqrt(sq / n);
}

/** A frame's landmarks and scale, as the planar measure needs them. */
export interface LandmarkView {
  points: readonly Point2[];
  /** Inter-ocular distance in pixels. */
  iod: number;
}

/**
 * Compares every pair of views: a flat picture, however it is turned, tilted or moved, maps onto itself by a
 * homography (residual ≈ landmark noise), while a turning head shows parallax that no homography explains.
 */
export function pairMotions(views: readonly LandmarkView[]): PairMotion[] {
  const out: PairMotion[] = [];
  for (let i = 0; i < views.length; i++) {
    for (let j = i + 1; j < views.length; j++) {
      const a = at(views, i);
      const b = at(views, j);
      const fit = fitHomography(a.points, b.points);
      const scale = (a.iod + b.iod) / 2;
      if (!fit || scale <= 0) continue;
      out.push({
        i,
        j,
        similarity: similarityResidual(a.points, b.points) / scale,
        homography: fit.rms / scale,
      });
    }
  }
  return out;
}
