import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { at, required } from '../util/checked-access.js';
import { alignFace, mirror } from './alignment.js';
import type { Embedding, FaceEmbedder } from './embedder.js';
import { l2Normalize } from './embedder.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import { ONNX_FACE_MODELS, type OnnxFaceModel, type OnnxModelId } from './onnx-face-models.js';

/** Which model, and the options of its ONNX Runtime session. */
export interface OnnxFaceOptions {
  model: OnnxModelId;
  /** ONNX Runtime intra-op threads (≥ 1). */
  intraOpThreads: number;
}

interface Sessions {
  single: InferenceSession;
  /** Session for a batch of two (flip augmentation), when it proved identical to two single runs. */
  pair: InferenceSession | undefined;
}

/**
 * An ArcFace-style embedder run with onnxruntime-node (`fr_feature` or `mobilefacenet`, see
 * {@link ONNX_FACE_MODELS}) on a 5-point-aligned 112×112 RGB crop. Flip augmentation runs the crop and its
 * mirror as one batch of two when the model allows it.
 */
export class OnnxFaceEmbedder implements FaceEmbedder {
  readonly id: OnnxModelId;
  readonly dimension: number;
  readonly version: number;
  private readonly model: OnnxFaceModel;
  private loading: Promise<Sessions> | undefined;

  constructor(private readonly options: OnnxFaceOptions) {
    this.model = ONNX_FACE_MODELS[options.model];
    this.id = this.model.id;
    this.dimension = this.model.dimension;
    this.version = this.model.version;
  }

  /** Whether flip augmentation runs as one batch of two (known after `load()`). */
  async batchedFlip(): Promise<boolean> {
    return (await this.sessions()).pair !== undefined;
  }

  /** Creates the ONNX Runtime sessions once; concurrent callers share them. */
  async load(): Promise<void> {
    await this.sessions();
  }

  private sessions(): Promise<Sessions> {
    this.loading ??= (async () => {
      const ort = await import('onnxruntime-node');
      const graphs = await this.model.graphs();
      const options: InferenceSession.SessionOptions = {
        intraOpNumThreads: this.options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        // Idle intra-op threads must not spin: tfjs-wasm needs the same cores right after each run.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        // fr_feature's batch-2 copy makes ORT warn that its static output shape disagrees; the check below is what counts.
        logSeverityLevel: 3,
      };
      const single = await ort.InferenceSession.create(graphs.single, options);
      let pair: InferenceSession | undefined;
      if (graphs.pair === 'same') pair = single;
      else if (graphs.pair)
        pair = await ort.InferenceSession.create(graphs.pair, options).catch(() => undefined);
      if (pair && !(await this.sameAsSingle(single, pair))) {
        if (pair !== single) await pair.release();
        pair = undefined;
      }
      return { single, pair };
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** A batch of two must give the vectors of two single runs, or flip augmentation would change results. */
  private async sameAsSingle(single: InferenceSession, pair: InferenceSession): Promise<boolean> {
    const size = 3 * 112 * 112;
    const a = new Float32Array(size).map((_, i) => Math.sin(i * 0.37));
    const b = new Float32Array(size).map((_, i) => Math.cos(i * 0.11));
    const [va, vb] = [await this.infer(single, [a]), await this.infer(single, [b])];
    const both = await this.infer(pair, [a, b]).catch(() => undefined);
    return (
      both !== undefined &&
      both.length === 2 &&
      close(at(both, 0), at(va, 0)) &&
      close(at(both, 1), at(vb, 0))
    );
  }

  /** Aligns, normalises and embeds the face; with `flip`, sums the unit vectors of the crop and its mirror. */
  async embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding> {
    await this.sessions();
    const t0 = performance.now();
    const crop = alignFace(image, landmarks, 112);
    const t1 = performance.now();
    const vector = await this.embedCrop(crop, flip);
    return { vector, alignMs: t1 - t0, embedMs: performance.now() - t1 };
  }

  /** Embeds an already aligned 112×112 crop (and its mirror with `flip`); returns the unit vector. */
  async embedCrop(crop: RgbImage, flip: boolean): Promise<Float32Array> {
    const { single, pair } = await this.sessions();
    const input = (c: RgbImage) => toInput(c, this.model.mean, this.model.std);
    let views: Float32Array[];
    if (!flip) views = await this.infer(single, [input(crop)]);
    else if (pair) views = await this.infer(pair, [input(crop), input(mirror(crop))]);
    else
      views = [
        ...(await this.infer(single, [input(crop)])),
        ...(await this.infer(single, [input(mirror(crop))])),
      ];
    const vector = new Float32Array(this.dimension);
    for (const v of views) {
      // Unit-length each view so that flip sums weigh both halves equally.
      const unit = l2Normalize(v);
      for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) + (unit[i] ?? 0);
    }
    return l2Normalize(vector);
  }

  private async infer(session: InferenceSession, inputs: Float32Array[]): Promise<Float32Array[]> {
    const { Tensor } = await import('onnxruntime-node');
    const size = 3 * 112 * 112;
    const batch = new Float32Array(inputs.length * size);
    inputs.forEach((x, i) => {
      batch.set(x, i * size);
    });
    const result = await session.run({
      [session.inputNames[0] ?? 0]: new Tensor('float32', batch, [inputs.length, 3, 112, 112]),
    });
    const out = required(result[at(session.outputNames, 0)], 'model output').data as Float32Array;
    return inputs.map((_, i) =>
      Float32Array.from(out.subarray(i * this.dimension, (i + 1) * this.dimension)),
    );
  }

  /** Releases the ONNX Runtime sessions. */
  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    const sessions = await loading?.catch(() => undefined);
    await sessions?.single.release();
    if (sessions?.pair && sessions.pair !== sessions.single) await sessions.pair.release();
  }
}

function toInput(crop: RgbImage, mean: number, std: number): Float32Array {
  const plane = 112 * 112;
  const input = new Float32Array(3 * plane);
  const { data } = crop;
  for (let i = 0; i < plane; i++) {
    input[i] = ((data[i * 3] ?? 0) - mean) / std;
    input[plane + i] = ((data[i * 3 + 1] ?? 0) - mean) / std;
    input[2 * plane + i] = ((data[i * 3 + 2] ?? 0) - mean) / std;
  }
  return input;
}

function close(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) > 1e-4 * (1 + Math.abs(b[i] ?? 0))) return false;
  return true;
}
