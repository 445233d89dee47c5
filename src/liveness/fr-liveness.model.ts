import { createRequire } from 'node:module';
import type { InferenceSession } from 'onnxruntime-node';
import sharp from 'sharp';
import type { Box } from '../engine/face-engine.port.js';
import { at, required } from '../util/checked-access.js';

const require = createRequire(import.meta.url);
const INPUT = 128;
/** faceplugin crops the detector box enlarged 2.7× around its centre (less when the image is too small). */
const CONTEXT = 2.7;

/** Path of `fr_liveness.onnx` inside the installed `faceplugin-face-recognition-js` package. */
export function frLivenessModelPath(): string {
  return require.resolve('faceplugin-face-recognition-js/model/fr_liveness.onnx');
}

/** The crop faceplugin's demo feeds to its liveness model: the box enlarged, shifted inside the image. */
export function livenessCrop(box: Box, width: number, height: number): Box {
  const scale = Math.min((height - 1) / box.height, (width - 1) / box.width, CONTEXT);
  const w = box.width * scale;
  const h = box.height * scale;
  let left = box.x + box.width / 2 - w / 2;
  let top = box.y + box.height / 2 - h / 2;
  left = Math.max(0, Math.min(left, width - 1 - w));
  top = Math.max(0, Math.min(top, height - 1 - h));
  return {
    x: Math.floor(left),
    y: Math.floor(top),
    width: Math.max(1, Math.floor(w)),
    height: Math.max(1, Math.floor(h)),
  };
}

/**
 * faceplugin's passive anti-spoof model (`fr_liveness.onnx`, 128×128 RGB in 0..255, NCHW, two logits).
 * Advisory only: measured as weak on single frames (docs/liveness.md). Lazy, locked load.
 */
export class FrLivenessModel {
  private loading: Promise<InferenceSession> | undefined;

  private session(): Promise<InferenceSession> {
    this.loading ??= (async () => {
      const ort = await import('onnxruntime-node');
      return ort.InferenceSession.create(frLivenessModelPath(), { intraOpNumThreads: 1 });
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Probability 0..1 that the face in `box` of the (EXIF-oriented) image is live. */
  async score(image: Uint8Array, box: Box): Promise<number> {
    const oriented = sharp(image).rotate();
    const { width = 0, height = 0 } = await sharp(await oriented.clone().toBuffer()).metadata();
    const crop = livenessCrop(box, width, height);
    const { data } = await oriented
      .extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height })
      .resize(INPUT, INPUT, { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const chw = new Float32Array(3 * INPUT * INPUT);
    for (let i = 0; i < INPUT * INPUT; i++) {
      for (let c = 0; c < 3; c++) chw[c * INPUT * INPUT + i] = at(data, i * 3 + c);
    }
    const ort = await import('onnxruntime-node');
    const session = await this.session();
    const out = await session.run({ input: new ort.Tensor('float32', chw, [1, 3, INPUT, INPUT]) });
    const logits = required(out.output, 'out.output').data as Float32Array;
    const max = Math.max(at(logits, 0), at(logits, 1));
    const e0 = Math.exp(at(logits, 0) - max);
    const e1 = Math.exp(at(logits, 1) - max);
    return e0 / (e0 + e1);
  }

  /** Releases the ONNX Runtime session. */
  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    await (await loading)?.release();
  }
}
