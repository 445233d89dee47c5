import type { FrameObservation } from './frame-observation.js';
import type { Point2 } from './homography.js';

/** Options of one synthetic frame: a 3-D "head" (or a flat picture of one) seen by a pinhole camera. */
export interface SyntheticFrame {
  t: number;
  yaw?: number;
  pitch?: number;
  /** Apparent size factor (distance). */
  scale?: number;
  eyesClosed?: boolean;
  /** A flat picture: every point has depth 0. */
  flat?: boolean;
  faceCount?: number;
  embedding?: Float32Array;
  /** Landmark noise in pixels (deterministic). */
  noise?: number;
}

const EYES: Record<number, [number, number]> = {
  33: [-45, 0],
  160: [-37, -8],
  158: [-23, -8],
  133: [-15, 0],
  153: [-23, 8],
  144: [-37, 8],
  362: [15, 0],
  385: [23, -8],
  387: [37, -8],
  263: [45, 0],
  373: [37, 8],
  380: [23, 8],
};

/** A fixed pseudo-random 468-point face: an ellipsoid cap 100 px across with the eye points placed. */
function baseMesh(): Array<[number, number, number]> {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: 468 }, (_, i) => {
    const eye = EYES[i];
    const [x, y] = eye ?? [(rnd() - 0.5) * 100, (rnd() - 0.5) * 130];
    const r = Math.min(1, (x / 55) ** 2 + (y / 70) ** 2);
    return [x, y, 45 * Math.sqrt(1 - r)];
  });
}

const BASE = baseMesh();

/** Unit vector embedding pointing mostly along `axis` (different axes = different people). */
export function embeddingOf(axis: number, dims = 8): Float32Array {
  const v = new Float32Array(dims).fill(0.1);
  v[axis] = 1;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Projects the synthetic head at the given pose into a FrameObservation, as the engine would report it. */
export function syntheticFrame(o: SyntheticFrame): FrameObservation {
  const rad = Math.PI / 180;
  const yaw = (o.yaw ?? 0) * rad;
  const pitch = (o.pitch ?? 0) * rad;
  const scale = o.scale ?? 1;
  const focal = 600;
  const distance = 600 / scale;
  let k = 0;
  const mesh: Point2[] = BASE.map(([x0, y0, z0], i) => {
    const lid = o.eyesClosed && EYES[i] ? 0 : 1;
    const y = EYES[i] ? y0 * lid : y0;
    const z = o.flat ? 0 : -z0;
    const [x1, z1] = [x0 * Math.cos(yaw) + z * Math.sin(yaw), -x0 * Math.sin(yaw) + z * Math.cos(yaw)];
    const [y2, z2] = [y * Math.cos(pitch) - z1 * Math.sin(pitch), y * Math.sin(pitch) + z1 * Math.cos(pitch)];
    const jitter = o.noise ? Math.sin(++k * 12.9898 + o.t) * o.noise : 0;
    return [320 + (focal * x1) / (distance + z2) + jitter, 240 + (focal * y2) / (distance + z2) - jitter];
  });
  const eye = (a: number, b: number): Point2 => [
    (mesh[a]![0] + mesh[b]![0]) / 2,
    (mesh[a]![1] + mesh[b]![1]) / 2,
  ];
  const [r, l] = [eye(33, 133), eye(362, 263)];
  return {
    timestampMs: o.t,
    faceCount: o.faceCount ?? 1,
    // Human's convention: yaw > 0 = the subject's right, pitch < 0 = up.
    pose: { yaw: o.flat ? 0 : (o.yaw ?? 0), pitch: o.flat ? 0 : (o.pitch ?? 0), roll: 0 },
    ear: o.eyesClosed ? 0.02 : 0.3,
    iod: Math.hypot(r[0] - l[0], r[1] - l[1]),
    mesh,
    embedding: o.embedding ?? embeddingOf(0),
  };
}
