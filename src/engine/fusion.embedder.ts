import { performance } from 'node:perf_hooks';
import { at } from '../util/checked-access.js';
import type { Embedding, FaceEmbedder } from './embedder.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import type { ThreadedOnnxFaceEmbedder } from './threaded-onnx-face.embedder.js';

/** One member of a fusion with its weight (weights sum to 1). */
export interface FusionPart {
  embedder: FaceEmbedder;
  weight: number;
}

/**
 * Score-level fusion as one vector: the concatenation of each member's unit vector scaled by √weight.
 * With weights summing to 1 the result has unit length, and the cosine of two fused vectors equals the
 * weighted average of the members' cosines, so the gallery can keep using one dot product.
 */
export class FusionEmbedder implements FaceEmbedder {
  readonly id: string;
  readonly dimension: number;
  readonly version: number;
  private readonly parts: FusionPart[];

  constructor(parts: FusionPart[]) {
    const total = parts.reduce((s, p) => s + p.weight, 0);
    if (parts.length < 2 || !(total > 0) || parts.some((p) => p.weight <= 0)) {
      throw new RangeError('fusion needs at least two members with positive weights');
    }
    this.parts = parts.map((p) => ({ embedder: p.embedder, weight: p.weight / total }));
    this.id = this.parts.map((p) => `${p.embedder.id}*${round(p.weight)}`).join('+');
    this.dimension = this.parts.reduce((s, p) => s + p.embedder.dimension, 0);
    this.version = this.parts.reduce((s, p) => s + p.embedder.version, 0);
  }

  /** Loads every member at once (at most one of them, dlib, loads in this thread; the others in their own). */
  async load(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.embedder.load()));
  }

  /**
   * Starts every member at once (a member that computes off the JS thread, such as
   * {@link ThreadedOnnxFaceEmbedder}, then overlaps the others) and concatenates the weighted unit vectors.
   */
  async embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding> {
    const t0 = performance.now();
    const results = await Promise.all(this.parts.map((p) => p.embedder.embed(image, landmarks, flip)));
    const wall = performance.now() - t0;
    const vector = new Float32Array(this.dimension);
    let offset = 0;
    let alignMs = 0;
    results.forEach((e, k) => {
      const w = Math.sqrt(at(this.parts, k).weight);
      for (let i = 0; i < e.vector.length; i++) vector[offset + i] = (e.vector[i] ?? 0) * w;
      offset += e.vector.length;
      alignMs += e.alignMs;
    });
    return { vector, alignMs, embedMs: Math.max(0, wall - alignMs) };
  }

  /** Closes every member. */
  async close(): Promise<void> {
    for (const p of this.parts) await p.embedder.close();
  }
}

function round(x: number): string {
  return String(Math.round(x * 100) / 100);
}
