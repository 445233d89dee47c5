import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { alignFace, mirror } from './alignment.js';
import type { Embedding, FaceEmbedder } from './embedder.js';
import { l2Normalize } from './embedder.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

const require = createRequire(import.meta.url);

/** Path of `fr_feature.onnx` inside the installed `faceplugin-face-recognition-js` package. */
export function frFeatureModelPath(): string {
  return require.resolve('faceplugin-face-recognition-js/model/fr_feature.onnx');
}

/** Options of the ONNX Runtime session. */
export interface FrFeatureOptions {
  /** ONNX Runtime intra-op threads; 0 lets ORT choose (all cores). */
  intraOpThreads: number;
}

/**
 * The 512-d `fr_feature.onnx` embedder (a MobileFaceNet-style ArcFace model shipped in
 * `faceplugin-face-recognition-js`), run with onnxruntime-node on a 5-point-aligned 112×112 RGB crop
 * normalised to (x − 127) / 128, CHW. Its batch dimension is fixed at 1, so flip augmentation costs two runs.
 */
export class FrFeatureEmbedder implements FaceEmbedder {
  readonly id = 'fr_feature';
  readonly dimension = 512;
  readonly version = 1;
  private loading: Promise<InferenceSession> | undefined;

  constructor(private readonly options: FrFeatureOptions) {}

  /** Creates the ONNX Runtime session once; concurrent callers share it. */
  async load(): Promise<void> {
    await this.session();
  }

  private session(): Promise<InferenceSession> {
    this.loading ??= (async () => {
      const ort = await import('onnxruntime-node');
      return ort.InferenceSession.create(frFeatureModelPath(), {
        intraOpNumThreads: this.options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Aligns, normalises and embeds the face; with `flip`, sums the vectors of the crop and its mirror. */
  async embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding> {
    const session = await this.session();
    const t0 = performance.now();
    const crop = alignFace(image, landmarks, 112);
    const t1 = performance.now();
    const vector = await this.run(session, crop);
    if (flip) {
      const mirrored = await this.run(session, mirror(crop));
      for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! + mirrored[i]!;
    }
    return { vector: l2Normalize(vector), alignMs: t1 - t0, embedMs: performance.now() - t1 };
  }

  private async run(session: InferenceSession, crop: RgbImage): Promise<Float32Array> {
    const { Tensor } = await import('onnxruntime-node');
    const plane = 112 * 112;
    const input = new Float32Array(3 * plane);
    const { data } = crop;
    for (let i = 0; i < plane; i++) {
      input[i] = (data[i * 3]! - 127) / 128;
      input[plane + i] = (data[i * 3 + 1]! - 127) / 128;
      input[2 * plane + i] = (data[i * 3 + 2]! - 127) / 128;
    }
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const result = await session.run({ [inputName]: new Tensor('float32', input, [1, 3, 112, 112]) });
    const out = result[outputName]!.data as Float32Array;
    // Unit-length each view so that flip sums weigh both halves equally.
    return l2Normalize(Float32Array.from(out));
  }

  /** Releases the ONNX Runtime session. */
  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading) await (await loading.catch(() => undefined))?.release();
  }
}
