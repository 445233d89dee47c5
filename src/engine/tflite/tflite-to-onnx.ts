import { at, required } from '../../util/checked-access.js';
import {
  encodeOnnxModel,
  type OnnxGraph,
  type OnnxInitializer,
  type OnnxNode,
  OnnxType,
} from './onnx-encoder.js';
import {
  readTfliteModel,
  type TfliteGraph,
  TfliteOp,
  type TfliteTensor,
  TfliteType,
} from './tflite-model.js';

/** Thrown when a TFLite graph uses something this converter does not translate. */
export class TfliteConversionError extends Error {
  override readonly name = 'TfliteConversionError';
}

const ACTIVATION_NONE = 0;
const ACTIVATION_RELU = 1;
const PADDING_SAME = 0;

/**
 * Translates a float32 TFLite image model (NHWC) into an ONNX model (NCHW) for onnxruntime: convolutions,
 * depthwise convolutions, element-wise ADD/SUB/MUL/ABS/RELU and a final squeeze. The ONNX input takes
 * `[N, C, H, W]` with a free batch size `N`; per-channel constants are reshaped to `[C, 1, 1]`.
 * Throws {@link TfliteConversionError} for any other operator, type or layout.
 */
export function tfliteToOnnx(file: Uint8Array): Uint8Array {
  return encodeOnnxModel(convertGraph(readTfliteModel(file)));
}

/** The ONNX graph for a parsed TFLite graph (see {@link tfliteToOnnx}). */
// Long by design: one switch over the supported TFLite operators, each case a short ONNX mapping.
export function convertGraph(graph: TfliteGraph): OnnxGraph {
  const { tensors } = graph;
  const [inputIndex] = graph.inputs;
  const [outputIndex] = graph.outputs;
  if (
    graph.inputs.length !== 1 ||
    graph.outputs.length !== 1 ||
    inputIndex === undefined ||
    outputIndex === undefined
  ) {
    throw new TfliteConversionError('only graphs with one input and one output are converted');
  }
  for (const t of tensors) {
    if (t.type !== TfliteType.FLOAT32 && t.type !== TfliteType.INT32) {
      throw new TfliteConversionError(`tensor ${t.name} has unsupported type ${t.type}`);
    }
  }
  const input = tensor(tensors, inputIndex);
  if (input.shape.length !== 4 || input.type !== TfliteType.FLOAT32) {
    throw new TfliteConversionError('the input must be a float32 NHWC image');
  }
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const names = new Map<number, string>([[inputIndex, 'input']]);
  const name = (i: number): string => names.get(i) ?? `t${i}`;
  const constant = (i: number, dims: number[], raw: Uint8Array): string => {
    const n = `c${i}`;
    if (!initializers.some((c) => c.name === n))
      initializers.push({ name: n, dims, type: OnnxType.FLOAT, raw });
    return n;
  };
  const activation = (out: string, fused: number): string[] => {
    if (fused === ACTIVATION_NONE) return [out];
    if (fused !== ACTIVATION_RELU)
      throw new TfliteConversionError(`fused activation ${fused} is not supported`);
    nodes.push({ op: 'Relu', inputs: [`${out}_pre`], outputs: [out] });
    return [`${out}_pre`];
  };

  for (const [k, op] of graph.operators.entries()) {
    const out = op.outputs[0];
    if (op.outputs.length !== 1 || out === undefined)
      throw new TfliteConversionError('operators must have one output');
    const outName = op.outputs[0] === outputIndex ? 'output' : name(out);
    names.set(out, outName);
    const opName = `op${k}`;
    switch (op.op) {
      case TfliteOp.CONV_2D:
      case TfliteOp.DEPTHWISE_CONV_2D: {
        const [xi, wi, bi] = op.inputs;
        if (xi === undefined || wi === undefined || !op.window)
          throw new TfliteConversionError(`${opName}: malformed convolution`);
        const x = tensor(tensors, xi);
        const w = tensor(tensors, wi);
        const depthwise = op.op === TfliteOp.DEPTHWISE_CONV_2D;
        const [o, kh, kw, ci] = dims4(w);
        const inChannels = at(x.shape, 3);
        const weights = depthwise ? depthwiseWeights(w) : convWeights(w);
        const inputs = [name(xi), constant(wi, depthwise ? [ci, 1, kh, kw] : [o, ci, kh, kw], weights)];
        if (bi !== undefined && bi >= 0) {
          const b = tensor(tensors, bi);
          inputs.push(constant(bi, [at(b.shape, 0)], floatBytes(b)));
        }
        const win = op.window;
        nodes.push({
          op: 'Conv',
          name: opName,
          inputs,
          outputs: activation(outName, op.activation),
          attributes: {
            kernel_shape: [kh, kw],
            strides: [win.strideH, win.strideW],
            dilations: [win.dilationH, win.dilationW],
            group: { int: depthwise ? inChannels : 1 },
            pads: pads(x, [kh, kw], win.padding, [win.strideH, win.strideW], [win.dilationH, win.dilationW]),
          },
        });
        break;
      }
      case TfliteOp.ADD:
      case TfliteOp.SUB:
      case TfliteOp.MUL: {
        const [ai, bi] = op.inputs;
        if (ai === undefined || bi === undefined)
          throw new TfliteConversionError(`${opName}: needs two inputs`);
        const operand = (i: number): string => {
          const t = tensor(tensors, i);
          if (t.data.length === 0) return name(i);
          return constant(i, channelDims(t), floatBytes(t));
        };
        const onnxOp = op.op === TfliteOp.ADD ? 'Add' : op.op === TfliteOp.SUB ? 'Sub' : 'Mul';
        nodes.push({
          op: onnxOp,
          name: opName,
          inputs: [operand(ai), operand(bi)],
          outputs: activation(outName, op.activation),
        });
        break;
      }
      case TfliteOp.RELU:
      case TfliteOp.ABS: {
        const [xi] = op.inputs;
        if (xi === undefined) throw new TfliteConversionError(`${opName}: needs an input`);
        nodes.push({
          op: op.op === TfliteOp.RELU ? 'Relu' : 'Abs',
          name: opName,
          inputs: [name(xi)],
          outputs: [outName],
        });
        break;
      }
      case TfliteOp.RESHAPE: {
        const [xi] = op.inputs;
        if (xi === undefined) throw new TfliteConversionError(`${opName}: needs an input`);
        const x = tensor(tensors, xi);
        const y = tensor(tensors, out);
        // NHWC [N,1,1,C] and NCHW [N,C,1,1] flatten to the same [N,C]; any other reshape would reorder data.
        if (x.shape.length !== 4 || x.shape[1] !== 1 || x.shape[2] !== 1 || y.shape.length !== 2) {
          throw new TfliteConversionError(`${opName}: only [N,1,1,C] → [N,C] reshapes are supported`);
        }
        nodes.push({
          op: 'Flatten',
          name: opName,
          inputs: [name(xi)],
          outputs: [outName],
          attributes: { axis: { int: 1 } },
        });
        break;
      }
      default:
        throw new TfliteConversionError(`TFLite operator ${op.op} is not supported`);
    }
  }

  const output = tensor(tensors, outputIndex);
  return {
    name: 'converted',
    nodes,
    initializers,
    inputs: [{ name: 'input', type: OnnxType.FLOAT, dims: ['N', ...nchw(input.shape).slice(1)] }],
    outputs: [{ name: 'output', type: OnnxType.FLOAT, dims: ['N', ...nchw(output.shape).slice(1)] }],
    opset: 13,
  };
}

/** A 4-D NHWC shape in ONNX's NCHW order; other ranks are the same in both. */
function nchw(shape: number[]): number[] {
  const [n, h, w, c] = shape;
  return shape.length === 4
    ? [required(n, 'n'), required(c, 'c'), required(h, 'h'), required(w, 'w')]
    : shape;
}

function tensor(tensors: TfliteTensor[], i: number): TfliteTensor {
  const t = tensors[i];
  if (!t) throw new TfliteConversionError(`tensor ${i} does not exist`);
  return t;
}

function dims4(t: TfliteTensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new TfliteConversionError(`${t.name}: expected a 4-D weight`);
  return t.shape as [number, number, number, number];
}

function floats(t: TfliteTensor): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.type !== TfliteType.FLOAT32 || t.data.length !== count * 4) {
    throw new TfliteConversionError(`${t.name}: expected ${count} float32 values`);
  }
  // Copied: buffers inside a flatbuffer need not be 4-byte aligned.
  return new Float32Array(Uint8Array.from(t.data).buffer);
}

function floatBytes(t: TfliteTensor): Uint8Array {
  return new Uint8Array(floats(t).buffer);
}

/** Conv weights OHWI → OIHW. */
function convWeights(t: TfliteTensor): Uint8Array {
  const [o, kh, kw, ci] = dims4(t);
  const src = floats(t);
  const dst = new Float32Array(src.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          dst[((a * ci + i) * kh + y) * kw + x] = at(src, ((a * kh + y) * kw + x) * ci + i);
  return new Uint8Array(dst.buffer);
}

/** Depthwise weights 1HW(C·M) → (C·M)1HW, one group per input channel. */
function depthwiseWeights(t: TfliteTensor): Uint8Array {
  const [one, kh, kw, cm] = dims4(t);
  if (one !== 1) throw new TfliteConversionError(`${t.name}: depthwise weights must start with 1`);
  const src = floats(t);
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cm; c++) dst[(c * kh + y) * kw + x] = at(src, (y * kw + x) * cm + c);
  return new Uint8Array(dst.buffer);
}

/** A per-channel or scalar constant broadcast against NCHW activations. */
function channelDims(t: TfliteTensor): number[] {
  if (t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1)) return t.shape;
  if (t.shape.length === 1) return [at(t.shape, 0), 1, 1];
  throw new TfliteConversionError(`${t.name}: only scalar or per-channel constants are supported`);
}

/** TensorFlow's SAME padding (the odd pixel goes at the end) as explicit ONNX pads [top, left, bottom, right]. */
function pads(
  x: TfliteTensor,
  kernel: [number, number],
  padding: number,
  strides: [number, number],
  dilations: [number, number],
): number[] {
  if (padding !== PADDING_SAME) return [0, 0, 0, 0];
  const size = [at(x.shape, 1), at(x.shape, 2)];
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < 2; d++) {
    const out = Math.ceil(at(size, d) / at(strides, d));
    const span = (at(kernel, d) - 1) * at(dilations, d) + 1;
    const total = Math.max(0, (out - 1) * at(strides, d) + span - at(size, d));
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}
