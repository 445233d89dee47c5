import { parentPort, workerData } from 'node:worker_threads';
import { FrFeatureEmbedder, type FrFeatureOptions } from './fr-feature.embedder.js';

/** A request to the fr_feature thread: one aligned 112×112 RGB crop. */
export interface FrFeatureRequest {
  id: number;
  crop: Uint8Array;
  flip: boolean;
}

/** The thread's answer: the unit vector, or an error message. */
export type FrFeatureResponse =
  | { kind: 'ready' }
  | { kind: 'load-error'; error: string }
  | { kind: 'vector'; id: number; vector: Float32Array }
  | { kind: 'error'; id: number; error: string };

const port = parentPort;
if (!port) throw new Error('fr-feature.worker must run in a worker thread');
const embedder = new FrFeatureEmbedder(workerData as FrFeatureOptions);
embedder.load().then(
  () => port.postMessage({ kind: 'ready' } satisfies FrFeatureResponse),
  (error: unknown) =>
    port.postMessage({ kind: 'load-error', error: String(error) } satisfies FrFeatureResponse),
);
port.on('message', (req: FrFeatureRequest) => {
  embedder.embedCrop({ data: req.crop, width: 112, height: 112 }, req.flip).then(
    (vector) =>
      port.postMessage({ kind: 'vector', id: req.id, vector } satisfies FrFeatureResponse, [
        vector.buffer as ArrayBuffer,
      ]),
    (error: unknown) =>
      port.postMessage({
        kind: 'error',
        id: req.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies FrFeatureResponse),
  );
});
