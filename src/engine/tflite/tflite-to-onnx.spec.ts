import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  nchwToNhwc,
  nhwcToNchw,
  runTfliteReference,
  runTfliteReferenceAll,
} from '../../../test/fixtures/tflite-reference.js';
import { encodeOnnxModel } from './onnx-encoder.js';
import {
  readTfliteModel,
  type TfliteGraph,
  TfliteOp,
  type TfliteOperator,
  type TfliteTensor,
} from './tflite-model.js';
import {
  convertGraph,
  halfToFloat,
  onnxOutputName,
  TfliteConversionError,
  tfliteToOnnx,
} from './tflite-to-onnx.js';

/** Deterministic pseudo-random floats in [−1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function activation(name: string, shape: number[]): TfliteTensor {
  return { name, shape, type: 0, data: new Uint8Array(0) };
}

function weights(name: string, shape: number[], seed: number): TfliteTensor {
  const values = noise(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
  return { name, shape, type: 0, data: new Uint8Array(values.buffer) };
}

function op(
  code: number,
  inputs: number[],
  outputs: number[],
  extra: Partial<TfliteOperator> = {},
): TfliteOperator {
  return { op: code, inputs, outputs, activation: 0, window: undefined, ...extra };
}

const same = (stride: number, dilation = 1, depthMultiplier = 1) => ({
  padding: 0,
  strideW: stride,
  strideH: stride,
  dilationW: dilation,
  dilationH: dilation,
  depthMultiplier,
});

/** Runs the converted graph in onnxruntime and returns its output in the TFLite (NHWC) layout. */
async function runConverted(graph: TfliteGraph, input: Float32Array): Promise<Float32Array> {
  const inShape = graph.tensors[graph.inputs[0]!]!.shape;
  const outShape = graph.tensors[graph.outputs[0]!]!.shape;
  const session = await ort.InferenceSession.create(encodeOnnxModel(convertGraph(graph)));
  try {
    const [n, h, w, c] = inShape as [number, number, number, number];
    const result = await session.run({
      input: new ort.Tensor('float32', nhwcToNchw(input, inShape), [n, c, h, w]),
    });
    const data = result.output!.data as Float32Array;
    return outShape.length === 4 ? nchwToNhwc(data, outShape) : data;
  } finally {
    await session.release();
  }
}

/** Float16 constants as TFLite stores half-precision weights (random sign, magnitude 1/8..2). */
function halfWeights(name: string, shape: number[], seed: number): TfliteTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const bits = noise(n * 2, seed);
  const half = Uint16Array.from({ length: n }, (_, i) => {
    const sign = bits[2 * i]! < 0 ? 0x8000 : 0;
    const exponent = 12 + Math.floor((bits[2 * i + 1]! + 1) * 2);
    return sign | (exponent << 10) | Math.floor((bits[2 * i]! + 1) * 511);
  });
  return { name, shape, type: 1, data: new Uint8Array(half.buffer) };
}

function int32s(name: string, values: number[], shape: number[]): TfliteTensor {
  return { name, shape, type: 2, data: new Uint8Array(Int32Array.from(values).buffer) };
}

/** Runs a converted graph with several outputs; returns them in the TFLite layout. */
async function runConvertedAll(graph: TfliteGraph, input: Float32Array): Promise<Float32Array[]> {
  const inShape = graph.tensors[graph.inputs[0]!]!.shape as [number, number, number, number];
  const session = await ort.InferenceSession.create(encodeOnnxModel(convertGraph(graph)));
  try {
    const [n, h, w, c] = inShape;
    const result = await session.run({
      input: new ort.Tensor('float32', nhwcToNchw(input, inShape), [n, c, h, w]),
    });
    return graph.outputs.map((o, k) => {
      const data = result[onnxOutputName(k)]!.data as Float32Array;
      const shape = graph.tensors[o]!.shape;
      return shape.length === 4 ? nchwToNhwc(data, shape) : data;
    });
  } finally {
    await session.release();
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('tfliteToOnnx', () => {
  it('translates SAME-padded strided and dilated (depthwise) convolutions like TFLite computes them', async () => {
    // Odd sizes with stride 2 put TensorFlow's extra padding pixel at the end; a wrong side shows here.
    const graph: TfliteGraph = {
      tensors: [
        activation('in', [2, 7, 9, 3]),
        weights('w0', [5, 3, 3, 3], 1),
        weights('b0', [5], 2),
        activation('c0', [2, 4, 5, 5]),
        weights('w1', [1, 3, 3, 10], 3),
        weights('b1', [10], 4),
        activation('c1', [2, 4, 5, 10]),
        weights('w2', [4, 2, 2, 10], 5),
        activation('c2', [2, 3, 4, 4]),
      ],
      operators: [
        op(TfliteOp.CONV_2D, [0, 1, 2], [3], { activation: 1, window: same(2) }),
        op(TfliteOp.DEPTHWISE_CONV_2D, [3, 4, 5], [6], { window: same(1, 2, 2) }),
        op(TfliteOp.CONV_2D, [6, 7, -1], [8], { window: { ...same(1), padding: 1 } }),
      ],
      inputs: [0],
      outputs: [8],
    };
    const input = noise(2 * 7 * 9 * 3, 9);
    const expected = runTfliteReference(graph, input);
    expect(maxDiff(await runConverted(graph, input), expected)).toBeLessThan(1e-5);
  });

  it('translates the PReLU pattern with per-channel constants and a final [N,1,1,C] squeeze', async () => {
    // prelu(x) = relu(x) + alpha · (x − |x|) / 2, as TensorFlow Lite files spell it; then a VALID conv to 1×1.
    const graph: TfliteGraph = {
      tensors: [
        activation('in', [1, 3, 3, 4]),
        activation('relu', [1, 3, 3, 4]),
        activation('abs', [1, 3, 3, 4]),
        activation('sub', [1, 3, 3, 4]),
        weights('alpha', [4], 7),
        activation('mul', [1, 3, 3, 4]),
        activation('prelu', [1, 3, 3, 4]),
        weights('w', [6, 3, 3, 4], 8),
        weights('b', [6], 9),
        activation('conv', [1, 1, 1, 6]),
        { name: 'shape', shape: [2], type: 2, data: new Uint8Array(new Int32Array([1, 6]).buffer) },
        activation('out', [1, 6]),
      ],
      operators: [
        op(TfliteOp.RELU, [0], [1]),
        op(TfliteOp.ABS, [0], [2]),
        op(TfliteOp.SUB, [0, 2], [3]),
        op(TfliteOp.MUL, [4, 3], [5]),
        op(TfliteOp.ADD, [1, 5], [6]),
        op(TfliteOp.CONV_2D, [6, 7, 8], [9], { window: { ...same(1), padding: 1 } }),
        op(TfliteOp.RESHAPE, [9, 10], [11]),
      ],
      inputs: [0],
      outputs: [11],
    };
    const input = noise(36, 11);
    const expected = runTfliteReference(graph, input);
    expect(expected.some((v) => v < 0)).toBe(true);
    expect(maxDiff(await runConverted(graph, input), expected)).toBeLessThan(1e-5);
  });

  it('translates the BlazeFace / FaceMesh operators: float16 weights, channel padding, pooling, PReLU, heads', async () => {
    // Odd 5×5 map with SAME pooling puts TensorFlow's padded cell at the end; channel padding 3 → 5.
    const graph: TfliteGraph = {
      tensors: [
        activation('in', [1, 5, 5, 3]),
        halfWeights('w0h', [3, 3, 3, 3], 21),
        activation('w0', [3, 3, 3, 3]),
        halfWeights('alpha_h', [1, 1, 3], 22),
        activation('alpha', [1, 1, 3]),
        activation('conv', [1, 5, 5, 3]),
        activation('prelu', [1, 5, 5, 3]),
        int32s('paddings', [0, 0, 0, 0, 0, 0, 1, 1], [4, 2]),
        activation('padded', [1, 5, 5, 5]),
        activation('pool', [1, 3, 3, 5]),
        activation('headA', [1, 3, 3, 5]),
        activation('flatA', [1, 9, 5]),
        activation('flatB', [1, 15, 3]),
        activation('cat', [1, 18, 5]),
        activation('pool2', [1, 3, 3, 5]),
        activation('flatC', [1, 9, 5]),
      ],
      operators: [
        op(TfliteOp.DEQUANTIZE, [1], [2]),
        op(TfliteOp.DEQUANTIZE, [3], [4]),
        op(TfliteOp.CONV_2D, [0, 2, -1], [5], { window: same(1) }),
        op(TfliteOp.PRELU, [5, 4], [6]),
        op(TfliteOp.PAD, [6, 7], [8]),
        op(TfliteOp.MAX_POOL_2D, [8], [9], { window: same(2), filter: { height: 2, width: 2 } }),
        op(TfliteOp.RELU, [9], [10]),
        op(TfliteOp.RESHAPE, [10], [11]),
        op(TfliteOp.RESHAPE, [9], [12]),
        op(TfliteOp.MAX_POOL_2D, [8], [14], {
          window: same(2),
          filter: { height: 3, width: 3 },
          activation: 1,
        }),
        op(TfliteOp.RESHAPE, [14], [15]),
        op(TfliteOp.CONCATENATION, [11, 15], [13], { axis: -2 }),
      ],
      inputs: [0],
      outputs: [13, 12],
    };
    // flatB reshapes [1,3,3,5] to [1,15,3]: a reshape that cuts across channels must keep TFLite's order.
    const input = noise(75, 23);
    const expected = runTfliteReferenceAll(graph, input);
    expect(expected[1]!.some((v) => v < 0)).toBe(true);
    const actual = await runConvertedAll(graph, input);
    expect(maxDiff(actual[0]!, expected[0]!)).toBeLessThan(1e-5);
    expect(maxDiff(actual[1]!, expected[1]!)).toBeLessThan(1e-5);
  });

  it("translates bilinear upsampling on each of TensorFlow's sampling grids", async () => {
    for (const resize of [
      { alignCorners: false, halfPixelCenters: true },
      { alignCorners: true, halfPixelCenters: false },
      { alignCorners: false, halfPixelCenters: false },
    ]) {
      const graph: TfliteGraph = {
        tensors: [
          activation('in', [1, 3, 4, 2]),
          int32s('size', [6, 9], [2]),
          activation('out', [1, 6, 9, 2]),
        ],
        operators: [op(TfliteOp.RESIZE_BILINEAR, [0, 1], [2], { resize })],
        inputs: [0],
        outputs: [2],
      };
      const input = noise(24, 31);
      const expected = runTfliteReference(graph, input);
      expect(maxDiff(await runConverted(graph, input), expected)).toBeLessThan(1e-5);
    }
  });

  it('decodes IEEE half-precision values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses what it cannot translate faithfully, naming the reason', () => {
    const base = (): TfliteGraph => ({
      tensors: [activation('in', [1, 2, 2, 3]), activation('out', [1, 2, 2, 3])],
      operators: [op(TfliteOp.RELU, [0], [1])],
      inputs: [0],
      outputs: [1],
    });
    expect(() => convertGraph(base())).not.toThrow();
    const fullyConnected = base();
    fullyConnected.operators = [op(9, [0], [1])];
    expect(() => convertGraph(fullyConnected)).toThrow(/operator 9 is not supported/);
    const quantised = base();
    quantised.tensors[1] = { ...quantised.tensors[1]!, type: 9 };
    expect(() => convertGraph(quantised)).toThrow(TfliteConversionError);
    const reorder = base();
    reorder.tensors[1] = activation('out', [1, 12]);
    reorder.operators = [op(TfliteOp.RESHAPE, [0], [1])];
    expect(() => convertGraph(reorder)).toThrow(/reshapes/);
    const relu6 = base();
    relu6.operators = [op(TfliteOp.ADD, [0, 0], [1], { activation: 3 })];
    expect(() => convertGraph(relu6)).toThrow(/fused activation 3/);
    const int8 = base();
    int8.tensors.push({ name: 'q', shape: [3], type: 9, data: new Uint8Array(3) });
    int8.operators.unshift(op(TfliteOp.DEQUANTIZE, [2], [1]));
    expect(() => convertGraph(int8)).toThrow(/DEQUANTIZE/);
    const spatialPad = base();
    spatialPad.tensors.push(int32s('p', [0, 0, 1, 1, 0, 0, 0, 0], [4, 2]));
    spatialPad.operators = [op(TfliteOp.PAD, [0, 2], [1])];
    expect(() => convertGraph(spatialPad)).not.toThrow();
  });

  it('refuses files that are not TFLite models', () => {
    expect(() => readTfliteModel(new TextEncoder().encode('not a model at all'))).toThrow(/TFL3/);
    expect(() => tfliteToOnnx(new Uint8Array(4))).toThrow(RangeError);
  });
});
