import { at } from '../util/checked-access.js';
import type { FiveLandmarks, Point } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

// Speed-sensitive: typed-array reads in the numeric loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

/** Five-point ArcFace template for a 112×112 crop (eyes, nose tip, mouth corners; image-left first). */
export const ARCFACE_TEMPLATE_112: FiveLandmarks = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * 2-D similarity transform without reflection: `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`
 * (scale `√(a²+b²)`, rotation `atan2(b, a)`).
 */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Applies a similarity transform to a point. */
export function applySimilarity(t: Similarity, [x, y]: Point): Point {
  return [t.a * x - t.b * y + t.tx, t.b * x + t.a * y + t.ty];
}

/** The inverse of a similarity transform. */
export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  if (d === 0) throw new RangeError('degenerate similarity transform');
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/**
 * Least-squares similarity transform mapping `src` points onto `dst` points (Umeyama, no reflection).
 * Minimises Σ‖T(srcᵢ) − dstᵢ‖².
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError('need at least two matching point pairs');
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += at(src, i)[0];
    sy += at(src, i)[1];
    dx += at(dst, i)[0];
    dy += at(dst, i)[1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // With centred points, a = Σ(s·d)/Σ|s|², b = Σ(s×d)/Σ|s|².
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = at(src, i)[0] - sx;
    const py = at(src, i)[1] - sy;
    const qx = at(dst, i)[0] - dx;
    const qy = at(dst, i)[1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new RangeError('source points coincide');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

/**
 * Warps `image` into a `size`×`size` RGB crop: output pixel (u, v) samples the source at
 * `inverse(u, v)` with bilinear interpolation; outside the image is black.
 */
export function warpSimilarity(image: RgbImage, toCrop: Similarity, size: number): RgbImage {
  const inv = invertSimilarity(toCrop);
  const out = new Uint8Array(size * size * 3);
  const { data, width, height } = image;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      // Pixel centres: sample at the centre of the output pixel.
      const x = inv.a * u - inv.b * v + inv.tx;
      const y = inv.b * u + inv.a * v + inv.ty;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      const o = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) {
        const p00 = sample(data, width, height, x0, y0, c);
        const p10 = sample(data, width, height, x0 + 1, y0, c);
        const p01 = sample(data, width, height, x0, y0 + 1, c);
        const p11 = sample(data, width, height, x0 + 1, y0 + 1, c);
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[o + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { data: out, width: size, height: size };
}

function sample(data: Uint8Array, width: number, height: number, x: number, y: number, c: number): number {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return data[(y * width + x) * 3 + c] ?? 0;
}

/** The ArcFace template scaled to a square crop of `size` px with extra `padding` (fraction of the side). */
export function scaledTemplate(size: number, padding = 0): FiveLandmarks {
  const inner = size / (1 + 2 * padding);
  const offset = inner * padding;
  return ARCFACE_TEMPLATE_112.map(
    ([x, y]) => [offset + (x / 112) * inner, offset + (y / 112) * inner] as Point,
  ) as unknown as FiveLandmarks;
}

/** A square window in the coordinates of the 112-px ArcFace template. */
export interface TemplateWindow {
  x: number;
  y: number;
  side: number;
}

/** The ArcFace template as seen in a `size`-px crop of the given window of the 112-px template. */
export function templateInWindow(size: number, window: TemplateWindow): FiveLandmarks {
  const k = size / window.side;
  return ARCFACE_TEMPLATE_112.map(
    ([x, y]) => [(x - window.x) * k, (y - window.y) * k] as Point,
  ) as unknown as FiveLandmarks;
}

/**
 * Aligns a face onto the ArcFace template and returns the RGB crop: by default the 112×112 ArcFace crop;
 * with a padding, the template scaled to `size` with that margin; with a window, that part of the template.
 */
export function alignFace(
  image: RgbImage,
  landmarks: FiveLandmarks,
  size = 112,
  padding: number | TemplateWindow = 0,
): RgbImage {
  const template =
    typeof padding === 'object'
      ? templateInWindow(size, padding)
      : size === 112 && padding === 0
        ? ARCFACE_TEMPLATE_112
        : scaledTemplate(size, padding);
  return warpSimilarity(image, estimateSimilarity(landmarks, template), size);
}

/** Mirrors an RGB image left-right. */
export function mirror(image: RgbImage): RgbImage {
  const { data, width, height } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = data[s] ?? 0;
      out[d + 1] = data[s + 1] ?? 0;
      out[d + 2] = data[s + 2] ?? 0;
    }
  }
  return { data: out, width, height };
}
