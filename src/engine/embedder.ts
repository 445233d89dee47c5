import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

// Speed-sensitive: typed-array reads in the numeric loops use `?? 0` instead of a checked helper. Every index there
// is inside bounds by construction, so the fallback never fires and V8 keeps the loop free of calls.

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
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) * (v[i] ?? 0);
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

/** Cosine similarity of two vectors (their dot product when both are L2-normalised). */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError('vectors differ in dimension');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) * (a[i] ?? 0);
    nb += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
