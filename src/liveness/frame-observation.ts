import { type ErrorCode, isFacegateError } from '../domain/errors.js';
import type { DetectedFace, FaceAnalysis, Pose } from '../engine/face-engine.port.js';
import { eyeAspectRatio, interOcular } from './face-measures.js';
import type { Point2 } from './homography.js';

/** A second face at least this fraction of the main face's width counts as another person in view. */
export const COMPETING_FACE_RATIO = 0.5;

/**
 * The errors that say a frame shows no usable face: none was found, or the frame itself is not a readable image.
 * Anything else (the engine not ready or unable to analyse locally, overloaded, a model, an internal failure) is a
 * fault of the server, not of the frame, and must never read as an empty frame.
 */
const FACELESS_FRAME: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NO_FACE',
  'IMAGE_MISSING',
  'IMAGE_UNREADABLE',
  'IMAGE_TOO_SMALL',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_FORMAT',
]);

/** True when analysing a frame failed because the frame shows no usable face (see {@link FACELESS_FRAME}). */
export function isFacelessFrame(error: unknown): boolean {
  return isFacegateError(error) && FACELESS_FRAME.has(error.code);
}

/** What the liveness checks need from one frame of the burst. */
export interface FrameObservation {
  /** Capture time reported by the kiosk (or the clip), milliseconds. */
  timestampMs: number;
  /** Faces at least {@link COMPETING_FACE_RATIO} as wide as the main face (0 = none found). */
  faceCount: number;
  /** Head pose of the main face, degrees (Human: yaw > 0 = the subject's right, pitch < 0 = up). */
  pose?: Pose;
  /** Eye aspect ratio of the main face. */
  ear?: number;
  /** Inter-ocular distance of the main face, pixels. */
  iod?: number;
  /** The main face's mesh in image pixels (x, y). */
  mesh?: readonly Point2[];
  /** L2-normalised embedding of the main face, when the frame was embedded. */
  embedding?: Float32Array;
}

/** Counts the faces that compete with the main one (the engine lists the most prominent first). */
export function prominentFaceCount(faces: readonly DetectedFace[]): number {
  const main = faces[0];
  if (!main) return 0;
  return faces.filter((f) => f.box.width >= COMPETING_FACE_RATIO * main.box.width).length;
}

/** Builds a frame observation from an engine analysis made with `withMesh: true`. */
export function observeAnalysis(timestampMs: number, analysis: FaceAnalysis): FrameObservation {
  return { ...observeFace(timestampMs, analysis.faces, analysis.face), embedding: analysis.embedding };
}

/** Builds a frame observation from detected faces (the first is the main face), without embedding. */
export function observeFace(
  timestampMs: number,
  faces: readonly DetectedFace[],
  main: DetectedFace | undefined = faces[0],
): FrameObservation {
  const base = { timestampMs, faceCount: prominentFaceCount(faces) };
  if (!main?.mesh) return base;
  const mesh = main.mesh;
  return {
    ...base,
    pose: main.quality.pose,
    ear: eyeAspectRatio(mesh),
    iod: interOcular(mesh),
    mesh: mesh.map((p) => [p[0], p[1]] as const),
  };
}
