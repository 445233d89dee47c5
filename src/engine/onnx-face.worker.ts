import { parentPort, workerData } from 'node:worker_threads';
import { OnnxFaceEmbedder, type OnnxFaceOptions } from './onnx-face.embedder.js';

/** A request to an ONNX embedder thread: one aligned 112×112 RGB crop. */
export interface OnnxFaceRequest {
  id: number;
  crop: Uint8Array;
  flip: boolean;
}

/** The thread's answer: the unit vector, or an error message. */
export type OnnxFaceResponse =
  | { kind: 'ready' }
  | { kind: 'load-error'; error: string }
  | { kind: 'vector'; id: number; vector: Float32Array }
  | { kind: 'error'; id: number; error: string };

const port = parentPort;
if (!port) throw new Error('onnx-face.worker must run in a worker thread');
const embedder = new OnnxFaceEmbedder(workerData as OnnxFaceOptions);
embedder.load().then(
  () => port.postMessage({ kind: 'ready' } satisfies OnnxFaceResponse),
  (error: unknown) =>
    port.postMessage({ kind: 'load-error', error: String(error) } satisfies OnnxFaceResponse),
);
port.on('message', (req: OnnxFaceRequest) => {
  embedder.embedCrop({ data: req.crop, width: 112, height: 112 }, req.flip).then(
    (vector) =>
      port.postMessage({ kind: 'vector', id: req.id, vector } satisfies OnnxFaceResponse, [
        vector.buffer as ArrayBuffer,
      ]),
    (error: unknown) =>
      port.postMessage({
        kind: 'error',
        id: req.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies OnnxFaceResponse),
  );
});
