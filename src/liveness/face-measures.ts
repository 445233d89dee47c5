import type { MeshPoint } from '../engine/face-engine.port.js';
import { at } from '../util/checked-access.js';

/** Mesh indices of one eye for the eye aspect ratio: outer corner, two upper lid, inner corner, two lower lid. */
const RIGHT_EYE = [33, 160, 158, 133, 153, 144] as const;
const LEFT_EYE = [362, 385, 387, 263, 373, 380] as const;
/** Eye centres (outer and inner corners averaged) for the inter-ocular distance. */
const EYE_CORNERS = { right: [33, 133], left: [362, 263] } as const;

/** Mesh points the planar check compares: every face-mesh point (468). */
export const MESH_SIZE = 468;

function dist(a: MeshPoint, b: MeshPoint): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function eyeAspect(mesh: readonly MeshPoint[], idx: readonly number[]): number {
  const p = idx.map((i) => at(mesh, i));
  const width = dist(at(p, 0), at(p, 3));
  if (width <= 0) return 0;
  return (dist(at(p, 1), at(p, 5)) + dist(at(p, 2), at(p, 4))) / (2 * width);
}

/**
 * Eye aspect ratio (Soukupová & Čech): lid opening over eye width, averaged over both eyes. Open eyes
 * give about 0.25–0.35 on the face mesh; a closed eye falls well below.
 */
export function eyeAspectRatio(mesh: readonly MeshPoint[]): number {
  return (eyeAspect(mesh, RIGHT_EYE) + eyeAspect(mesh, LEFT_EYE)) / 2;
}

/** Distance between the eye centres in pixels: the face's scale for normalising residuals and size. */
export function interOcular(mesh: readonly MeshPoint[]): number {
  const centre = (idx: readonly number[]): [number, number] => [
    idx.reduce((s, i) => s + at(mesh, i)[0], 0) / idx.length,
    idx.reduce((s, i) => s + at(mesh, i)[1], 0) / idx.length,
  ];
  const r = centre(EYE_CORNERS.right);
  const l = centre(EYE_CORNERS.left);
  return Math.hypot(r[0] - l[0], r[1] - l[1]);
}
