import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

/** Result of embedding one face. */
export interface Embedding {
  /** L2-normalised vector. */
  vector: Float32Array;
  alignMs: number;
  embedMs: number;
}

/** A face-embedding model: aligns the face its own way and returns an L2-normalised vector. */
export interface FaceEmbedder {
  /** Short model id, part of `EngineInfo.model`. */
  readonly id: string;
  readonly dimension: number;
  /** Bumped when weights or preprocessing change the vectors. */
  readonly version: number;
  /** Loads the model once (lazy, locked). */
  load(): Promise<void>;
  /** Embeds the face with these landmarks; with `flip`, averages the crop and its mirror image. */
  embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding>;
  close(): Promise<void>;
}

/** Scales `v` in place to unit length and returns it. */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

/** Cosine similarity of two vectors (their dot product when both are L2-normalised). */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError('vectors differ in dimension');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
