/**
 * Geometry around MediaPipe's face detector and 468-point mesh: the rotated square region of interest taken from
 * a detection (as MediaPipe's `face_detection_front_detection_to_roi`: eyes set the rotation, box × 1.5, square),
 * sampling that region into a model input, projecting the mesh back into the image, and the head pose Human
 * computes from the same mesh.
 */

import { at } from '../util/checked-access.js';
import type { MeshPoint, Point } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

/** A rotated square in image pixels: centre, side and rotation (radians, the crop's x axis in the image). */
export interface Roi {
  cx: number;
  cy: number;
  size: number;
  angle: number;
}

/** Side of the face-mesh model input. */
export const MESH_INPUT = 192;
/** MediaPipe enlarges the detection box by this factor for the mesh crop. */
export const MESH_ROI_SCALE = 1.5;

/**
 * The mesh crop for a detection box (pixels) with its subject's right eye (image-left) and left eye: rotation
 * that makes the eye line horizontal, centre of the box, side = 1.5 × the box's longer side.
 */
export function detectionRoi(
  box: { xMin: number; yMin: number; xMax: number; yMax: number },
  rightEye: Point,
  leftEye: Point,
): Roi {
  const angle = normalizeRadians(-Math.atan2(-(leftEye[1] - rightEye[1]), leftEye[0] - rightEye[0]));
  const side = Math.max(box.xMax - box.xMin, box.yMax - box.yMin) * MESH_ROI_SCALE;
  return { cx: (box.xMin + box.xMax) / 2, cy: (box.yMin + box.yMax) / 2, size: side, angle };
}

/**
 * The mesh crop MediaPipe tracks a face with, from its previous mesh (`face_landmarks_to_roi`): rotation from the
 * outer eye corners 33 → 263, centre of the points' bounding box, side = 1.5 × its longer side.
 */
export function meshRoi(mesh: readonly MeshPoint[]): Roi {
  let [xMin, yMin, xMax, yMax] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of mesh) {
    xMin = Math.min(xMin, p[0]);
    yMin = Math.min(yMin, p[1]);
    xMax = Math.max(xMax, p[0]);
    yMax = Math.max(yMax, p[1]);
  }
  const right = at(mesh, 33);
  const left = at(mesh, 263);
  return detectionRoi({ xMin, yMin, xMax, yMax }, [right[0], right[1]], [left[0], left[1]]);
}

function normalizeRadians(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Where the relative crop point (u, v ∈ [0, 1]) of `roi` falls in the image. */
export function roiToImage(roi: Roi, u: number, v: number): Point {
  const x = u - 0.5;
  const y = v - 0.5;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  return [roi.cx + (cos * x - sin * y) * roi.size, roi.cy + (sin * x + cos * y) * roi.size];
}

/**
 * Samples `roi` of an RGB image into `out` (planar CHW, `side`×`side`, at `offset`), bilinear, each value mapped
 * to `value · scale + bias`; pixels outside the image are black. When one output pixel spans 2k or more image
 * pixels, `k`×`k` bilinear samples are averaged so that a large image is not badly aliased.
 */
export function sampleRoi(
  image: RgbImage,
  roi: Roi,
  side: number,
  out: Float32Array,
  offset: number,
  scale: number,
  bias: number,
): void {
  const k = Math.max(1, Math.min(6, Math.floor(roi.size / side / 2)));
  const cos = (Math.cos(roi.angle) * roi.size) / side;
  const sin = (Math.sin(roi.angle) * roi.size) / side;
  const plane = side * side;
  const { width, height, data } = image;
  const norm = scale / (k * k);
  const half = side / 2;
  for (let v = 0; v < side; v++)
    for (let u = 0; u < side; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++)
        for (let sx = 0; sx < k; sx++) {
          const x = u + (sx + 0.5) / k - half;
          const y = v + (sy + 0.5) / k - half;
          const px = roi.cx + cos * x - sin * y - 0.5;
          const py = roi.cy + sin * x + cos * y - 0.5;
          const x0 = Math.floor(px);
          const y0 = Math.floor(py);
          const fx = px - x0;
          const fy = py - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
            // Inside: the four taps without bounds checks (the hot path). In this file `?? 0` only
            // satisfies the index check: pixel and model-output indices are kept in range by these tests and loop limits.
            const p00 = (y0 * width + x0) * 3;
            const p10 = p00 + 3;
            const p01 = p00 + width * 3;
            const p11 = p01 + 3;
            const w00 = (1 - fx) * (1 - fy);
            const w10 = fx * (1 - fy);
            const w01 = (1 - fx) * fy;
            const w11 = fx * fy;
            r +=
              (data[p00] ?? 0) * w00 +
              (data[p10] ?? 0) * w10 +
              (data[p01] ?? 0) * w01 +
              (data[p11] ?? 0) * w11;
            g +=
              (data[p00 + 1] ?? 0) * w00 +
              (data[p10 + 1] ?? 0) * w10 +
              (data[p01 + 1] ?? 0) * w01 +
              (data[p11 + 1] ?? 0) * w11;
            b +=
              (data[p00 + 2] ?? 0) * w00 +
              (data[p10 + 2] ?? 0) * w10 +
              (data[p01 + 2] ?? 0) * w01 +
              (data[p11 + 2] ?? 0) * w11;
          } else {
            const acc = edgeBilinear(data, width, height, x0, y0, fx, fy);
            r += acc[0];
            g += acc[1];
            b += acc[2];
          }
        }
      const at = offset + v * side + u;
      out[at] = r * norm + bias;
      out[at + plane] = g * norm + bias;
      out[at + 2 * plane] = b * norm + bias;
    }
}

const edge: [number, number, number] = [0, 0, 0];

/** The bilinear RGB value near or outside the border; pixels outside the image count as black. */
function edgeBilinear(
  data: Uint8Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  fx: number,
  fy: number,
): [number, number, number] {
  edge[0] = edge[1] = edge[2] = 0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= height) continue;
    const wy = dy ? fy : 1 - fy;
    for (let dx = 0; dx < 2; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= width) continue;
      const w = wy * (dx ? fx : 1 - fx);
      const p = (yy * width + xx) * 3;
      edge[0] += (data[p] ?? 0) * w;
      edge[1] += (data[p + 1] ?? 0) * w;
      edge[2] += (data[p + 2] ?? 0) * w;
    }
  }
  return edge;
}

/** The 468 mesh points (model output, `MESH_INPUT` pixels of the crop) in image pixels; z on the same scale. */
export function projectMesh(raw: Float32Array, roi: Roi): MeshPoint[] {
  const points: MeshPoint[] = [];
  for (let i = 0; i + 2 < raw.length; i += 3) {
    const [x, y] = roiToImage(roi, (raw[i] ?? 0) / MESH_INPUT, (raw[i + 1] ?? 0) / MESH_INPUT);
    points.push([x, y, ((raw[i + 2] ?? 0) / MESH_INPUT) * roi.size]);
  }
  return points;
}

type Vec3 = [number, number, number];

/**
 * Yaw and pitch in degrees from the mesh, as Human computes them (face top 10 / chin 152 / sides 234, 454 as
 * axes, YZX Euler angles): yaw > 0 = turned to the subject's right, pitch < 0 = looking up. Human weighs depth
 * by 1/1.5 against x and y (its z is relative to the crop, x and y to the crop / 1.5); kept so values match.
 */
export function meshYawPitch(mesh: readonly MeshPoint[]): { yaw: number; pitch: number } {
  const pick = (i: number): Vec3 => {
    const p = at(mesh, i);
    return [p[0], p[1], p[2] / MESH_ROI_SCALE];
  };
  const [top, chin, left, right] = [pick(10), pick(152), pick(234), pick(454)];
  const yAxis = normalize(sub(chin, top));
  let xAxis = normalize(sub(right, left));
  const zAxis = normalize(cross(xAxis, yAxis));
  xAxis = cross(yAxis, zAxis);
  const [r00, r10, r11, r12, r20] = [xAxis[0], yAxis[0], yAxis[1], yAxis[2], zAxis[0]];
  let thetaX = 0;
  let thetaY = 0;
  if (r10 < 1 && r10 > -1) {
    thetaY = Math.atan2(-r20, r00);
    thetaX = Math.atan2(-r12, r11);
  } else {
    thetaY = (r10 >= 1 ? 1 : -1) * Math.atan2(zAxis[1], zAxis[2]);
  }
  const deg = 180 / Math.PI;
  return {
    yaw: (Number.isNaN(thetaY) ? 0 : -thetaY) * deg,
    pitch: (Number.isNaN(thetaX) ? 0 : -thetaX) * deg,
  };
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
