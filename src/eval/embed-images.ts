import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isFacegateError } from '../domain/errors.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { CachedEmbedding, EmbeddingCache } from './embedding-cache.js';
import type { FaceImage } from './faces-dataset.js';

/** Options of {@link embedImages}. */
export interface EmbedOptions {
  /** Images analysed at the same time (keeps every engine worker busy). */
  concurrency: number;
  minFaceSize?: number;
  cache?: EmbeddingCache;
  /** Called after each image, cached or not. */
  onImage?: (done: number, total: number, fromCache: boolean) => void;
}

/**
 * Runs every image once through the engine (or takes it from the cache). An image the engine refuses with a
 * FacegateError (no face, unreadable, too large...) gets a null embedding and its error code; any other error
 * aborts the run, since it means the engine itself is broken.
 */
export async function embedImages(
  engine: FaceEngine,
  root: string,
  images: readonly FaceImage[],
  options: EmbedOptions,
): Promise<Map<string, CachedEmbedding>> {
  const out = new Map<string, CachedEmbedding>();
  let next = 0;
  let done = 0;
  const work = async (): Promise<void> => {
    while (next < images.length) {
      const image = images[next++] as FaceImage;
      const bytes = await readFile(join(root, image.rel));
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const cached = options.cache?.get(image.rel, sha256);
      let entry: CachedEmbedding;
      if (cached) entry = cached;
      else {
        entry = await analyzeOne(engine, image.rel, sha256, bytes, options.minFaceSize);
        await options.cache?.put(entry);
      }
      out.set(image.rel, entry);
      options.onImage?.(++done, images.length, cached !== undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, images.length)) }, work));
  await options.cache?.flush();
  return out;
}

async function analyzeOne(
  engine: FaceEngine,
  rel: string,
  sha256: string,
  bytes: Uint8Array,
  minFaceSize: number | undefined,
): Promise<CachedEmbedding> {
  const started = performance.now();
  try {
    const analysis = await engine.analyze(bytes, minFaceSize === undefined ? {} : { minFaceSize });
    return {
      rel,
      sha256,
      embedding: analysis.embedding,
      error: null,
      faces: analysis.faces.length,
      ms: analysis.timings.total ?? performance.now() - started,
    };
  } catch (error) {
    if (!isFacegateError(error)) throw error;
    return { rel, sha256, embedding: null, error: error.code, faces: 0, ms: performance.now() - started };
  }
}
