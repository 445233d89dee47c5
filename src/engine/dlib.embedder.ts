import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as tfc from '@tensorflow/tfjs-core';
import { ARCFACE_TEMPLATE_112, alignFace, mirror, type TemplateWindow } from './alignment.js';
import type { Embedding, FaceEmbedder } from './embedder.js';
import { l2Normalize } from './embedder.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import { MODEL_FILES, modelFilePath, readModelFile, readModelFileAt } from './model-files.js';
import { loadFaceApiModule, type Tfjs, tfjs, tfjsQueue } from './tfjs-runtime.js';

type FaceApi = typeof import('@vladmandic/face-api');

let sharedLoading: Promise<FaceApi> | undefined;

/** dlib's chips are 150 px with a wider margin than ArcFace's 112-px crop. */
export const DLIB_CROP_SIZE = 150;
/**
 * The window of the ArcFace template that face-api crops for its descriptor: a square of side
 * (mean eye-to-mouth distance) / 0.45 with the centroid of eyes and mouth at (0.5, 0.43) of it, here rotated
 * upright by the 5-point alignment. A plain padded ArcFace crop scored only 84 % on LFW pairs.
 */
export const DLIB_WINDOW: TemplateWindow = faceApiWindow();

function faceApiWindow(): TemplateWindow {
  const [le, re, , lm, rm] = ARCFACE_TEMPLATE_112;
  const mouth = [(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2] as const;
  const dist = (p: readonly [number, number]) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const side = (dist(le) + dist(re)) / 2 / 0.45;
  const cx = (le[0] + re[0] + mouth[0]) / 3;
  const cy = (le[1] + re[1] + mouth[1]) / 3;
  return { x: cx - 0.5 * side, y: cy - 0.43 * side, side };
}

/**
 * Reads the recognition net's manifest and weight shards as face-api's `loadFromDisk` does, but through
 * `readModelFile`, so each file is checked against its sha256 before tfjs decodes it.
 */
async function loadDlibWeights(tf: Tfjs): Promise<tfc.NamedTensorMap> {
  const manifest: tfc.io.WeightsManifestConfig = JSON.parse(
    (await readModelFile(MODEL_FILES.dlibManifest)).toString('utf8'),
  );
  const readShards = (paths: string[]) =>
    Promise.all(
      paths.map(async (path) => {
        const bytes = await readModelFileAt(path);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      }),
    );
  const folder = `${dirname(modelFilePath(MODEL_FILES.dlibManifest))}/`;
  return tf.io.weightsLoaderFactory(readShards)(manifest, folder);
}

/**
 * The 128-d dlib ResNet face descriptor (Davis King's public-domain weights, as ported by face-api) on the
 * tfjs WASM backend. Fed a 150×150 chip aligned with the same five landmarks, framed as face-api frames it. Requires the tfjs WASM backend to be initialised (the Human detector does it).
 */
export class DlibEmbedder implements FaceEmbedder {
  readonly id = 'dlib';
  readonly dimension = 128;
  readonly version = 2;

  constructor(private readonly window: number | TemplateWindow = DLIB_WINDOW) {}
  /** Loads face-api's recognition net from the installed package once. */
  async load(): Promise<void> {
    await this.faceApi();
  }

  // face-api keeps its nets in module-level singletons, so the loaded net is shared process-wide.
  private faceApi(): Promise<FaceApi> {
    sharedLoading ??= (async () => {
      const faceapi = loadFaceApiModule();
      const tf = tfjs();
      if (tf.getBackend() !== 'wasm') {
        await tf.setBackend('wasm');
        await tf.ready();
      }
      // face-api's typings bundle their own tfjs Tensor class; at run time it is the shared one.
      faceapi.nets.faceRecognitionNet.loadFromWeightMap((await loadDlibWeights(tf)) as never);
      return faceapi;
    })().catch((error: unknown) => {
      sharedLoading = undefined;
      throw error;
    });
    return sharedLoading;
  }

  /** Aligns the face to a 150×150 chip and embeds it (and its mirror, batched, with `flip`). */
  async embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding> {
    const faceapi = await this.faceApi();
    const t0 = performance.now();
    const crop = alignFace(image, landmarks, DLIB_CROP_SIZE, this.window);
    const crops = flip ? [crop, mirror(crop)] : [crop];
    const t1 = performance.now();
    const vectors = await tfjsQueue.run(async () => {
      const tf: Tfjs = tfjs();
      // face-api takes a batch as an array of 3-D tensors (not one 4-D tensor).
      const inputs = crops.map((c) =>
        tf.tensor3d(Float32Array.from(c.data), [DLIB_CROP_SIZE, DLIB_CROP_SIZE, 3], 'float32'),
      );
      try {
        // face-api's typings bundle their own tfjs Tensor class; at run time it is the shared one.
        const out = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
          (inputs.length === 1 ? inputs[0] : inputs) as never,
        );
        return Array.isArray(out) ? out : [out];
      } finally {
        tf.dispose(inputs);
      }
    });
    const vector = new Float32Array(this.dimension);
    for (const v of vectors) {
      const unit = l2Normalize(Float32Array.from(v));
      for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) + (unit[i] ?? 0);
    }
    return { vector: l2Normalize(vector), alignMs: t1 - t0, embedMs: performance.now() - t1 };
  }

  /** Nothing to release per instance: the net is shared by every instance in the thread. */
  async close(): Promise<void> {}
}
