import { isFacegateError } from '../../../src/domain/errors.js';
import type { NewFaceTemplate } from '../../../src/domain/models.js';

export { codeOf } from '../../fixtures/error-code.js';

/** A deterministic unit-length embedding. */
export function embedding(seed: number, dim = 512): Float32Array {
  const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 1000 + i * 0.37) + 0.001 * seed);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** A template to store, with `hash-<seed>` as its source hash. */
export function template(seed: number, extra: Partial<NewFaceTemplate> = {}): NewFaceTemplate {
  return {
    embedding: embedding(seed),
    engine: 'local',
    model: 'test-model',
    modelVersion: '1',
    quality: {
      faceSize: 120,
      sharpness: 0.3,
      brightness: 0.5,
      yaw: 1,
      pitch: 2,
      roll: 3,
      detectorScore: 0.99,
    },
    sourceHash: `hash-${seed}`,
    photoKey: null,
    photoContentType: null,
    ...extra,
  };
}

/** The little-endian float bytes of an embedding, as they would sit in a plain column. */
export function floatBytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}
