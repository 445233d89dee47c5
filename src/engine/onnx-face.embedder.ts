import { readFile } from 'node:fs/promises';
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
  /** ONNX Runtime intra-op threads (≥ 1). */
  intraOpThreads: number;
}

/**
 * The shipped graph declares a fixed batch of 1. Its input `[1,3,112,112]` and output `[1,512]` shapes are
 * single-byte varints in the protobuf, so a batch-2 copy is made by rewriting those two bytes in memory; the
 * copy is used only after it reproduced the original's vectors exactly (see {@link FrFeatureEmbedder}).
 */
function batchOfTwo(model: Buffer): Buffer | undefined {
  const input = Buffer.from([
    0x0a, 0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x03, 0x0a, 0x02, 0x08, 0x70, 0x0a, 0x02, 0x08, 0x70,
  ]);
  const output = Buffer.from([0x0a, 0x02, 0x08, 0x01, 0x0a, 0x03, 0x08, 0x80, 0x04]);
  const i = model.indexOf(input);
  const o = model.indexOf(output);
  if (i < 0 || o < 0 || model.indexOf(input, i + 1) >= 0 || model.indexOf(output, o + 1) >= 0)
    return undefined;
  const copy = Buffer.from(model);
  copy[i + 3] = 2;
  copy[o + 3] = 2;
  return copy;
}

interface Sessions {
  single: InferenceSession;
  /** Batch-2 session for flip augmentation, when it proved identical to two single runs. */
  pair: InferenceSession | undefined;
}

/**
 * The 512-d `fr_feature.onnx` embedder (a MobileFaceNet-style ArcFace model shipped in
 * `faceplugin-face-recognition-js`), run with onnxruntime-node on a 5-point-aligned 112×112 RGB crop
 * normalised to (x − 127) / 128, CHW. Flip augmentation runs the crop and its mirror as one batch of two.
 */
export class FrFeatureEmbedder implements FaceEmbedder {
  readonly id = 'fr_feature';
  readonly dimension = 512;
  readonly version = 1;
  private loading: Promise<Sessions> | undefined;

  constructor(private readonly options: FrFeatureOptions) {}

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
      const model = await readFile(frFeatureModelPath());
      const options: InferenceSession.SessionOptions = {
        intraOpNumThreads: this.options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        // Idle intra-op threads must not spin: tfjs-wasm needs the same cores right after each run.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
        // The batch-2 copy makes ORT warn that its static output shape disagrees; the check below is what counts.
        logSeverityLevel: 3,
      };
      const single = await ort.InferenceSession.create(model, options);
      return { single, pair: await this.verifiedPair(model, options, single) };
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async verifiedPair(
    model: Buffer,
    options: InferenceSession.SessionOptions,
    single: InferenceSession,
  ): Promise<InferenceSession | undefined> {
    const patched = batchOfTwo(model);
    if (!patched) return undefined;
    const ort = await import('onnxruntime-node');
    let pair: InferenceSession;
    try {
      pair = await ort.InferenceSession.create(patched, options);
    } catch {
      return undefined;
    }
    const a = new Float32Array(3 * 112 * 112).map((_, i) => Math.sin(i * 0.37));
    const b = new Float32Array(3 * 112 * 112).map((_, i) => Math.cos(i * 0.11));
    const [va, vb] = [await this.infer(single, [a]), await this.infer(single, [b])];
    const both = await this.infer(pair, [a, b]).catch(() => undefined);
    const same =
      both !== undefined && both.length === 2 && close(both[0]!, va[0]!) && close(both[1]!, vb[0]!);
    if (same) return pair;
    await pair.release();
    return undefined;
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
    let views: Float32Array[];
    if (!flip) views = await this.infer(single, [toInput(crop)]);
    else if (pair) views = await this.infer(pair, [toInput(crop), toInput(mirror(crop))]);
    else
      views = [
        ...(await this.infer(single, [toInput(crop)])),
        ...(await this.infer(single, [toInput(mirror(crop))])),
      ];
    const vector = new Float32Array(this.dimension);
    for (const v of views) {
      // Unit-length each view so that flip sums weigh both halves equally.
      const unit = l2Normalize(v);
      for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! + unit[i]!;
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
      [session.inputNames[0]!]: new Tensor('float32', batch, [inputs.length, 3, 112, 112]),
    });
    const out = result[session.outputNames[0]!]!.data as Float32Array;
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
    await sessions?.pair?.release();
  }
}

function toInput(crop: RgbImage): Float32Array {
  const plane = 112 * 112;
  const input = new Float32Array(3 * plane);
  const { data } = crop;
  for (let i = 0; i < plane; i++) {
    input[i] = (data[i * 3]! - 127) / 128;
    input[plane + i] = (data[i * 3 + 1]! - 127) / 128;
    input[2 * plane + i] = (data[i * 3 + 2]! - 127) / 128;
  }
  return input;
}

function close(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1e-4 * (1 + Math.abs(b[i]!))) return false;
  return true;
}
