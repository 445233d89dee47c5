import type { FaceEngine } from '../engine/face-engine.port.js';
import { MODEL_THRESHOLDS, type ModelThresholds } from '../gallery/threshold-presets.js';
import { embedImages } from './embed-images.js';
import { EmbeddingCache } from './embedding-cache.js';
import { buildReport, type EvalResult } from './eval-report.js';
import { loadFacesDataset } from './faces-dataset.js';

/** Options of one evaluation run. */
export interface EvalRunOptions {
  faces: string;
  identify: boolean;
  embedder: string;
  flip: boolean;
  /** Gap to the second-best identity required by 1:N (config `match.margin`). */
  margin: number;
  concurrency: number;
  limit?: number;
  cacheFile?: string;
  minFaceSize?: number;
  /** Thresholds to report per preset; defaults to MODEL_THRESHOLDS of the engine's model. */
  thresholds?: ModelThresholds;
}

/** Progress hooks (the CLI draws a bar on stderr). */
export interface EvalHooks {
  onStart?(total: number, cached: number): void;
  onImage?(done: number, total: number): void;
  onEmbedded?(): void;
}

/**
 * Evaluates the engine on a faces folder: reads the folder and its pair lists, embeds every image once (through
 * the cache when given), scores every pair and computes the verification, LFW-protocol and open-set figures.
 */
export async function runEvaluation(
  engine: FaceEngine,
  options: EvalRunOptions,
  hooks: EvalHooks = {},
): Promise<EvalResult> {
  const dataset = await loadFacesDataset(
    options.faces,
    options.limit === undefined ? {} : { limit: options.limit },
  );
  const cache = options.cacheFile
    ? await EmbeddingCache.open(options.cacheFile, engine.info, {
        embedder: options.embedder,
        flip: options.flip,
        minFaceSize: options.minFaceSize ?? null,
      })
    : undefined;
  hooks.onStart?.(dataset.images.length, cache?.size ?? 0);
  const embeddings = await embedImages(engine, dataset.root, dataset.images, {
    concurrency: options.concurrency,
    ...(options.minFaceSize === undefined ? {} : { minFaceSize: options.minFaceSize }),
    ...(cache ? { cache } : {}),
    onImage: (done, total) => hooks.onImage?.(done, total),
  });
  hooks.onEmbedded?.();
  return buildReport(dataset, embeddings, {
    engine: engine.info,
    embedder: options.embedder,
    flip: options.flip,
    identify: options.identify,
    margin: options.margin,
    configured: options.thresholds ?? MODEL_THRESHOLDS[engine.info.model],
  });
}
