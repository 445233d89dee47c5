import { at } from '../../util/checked-access.js';
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
  type TfliteOperator,
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
/** Where an NHWC axis lands in NCHW. */
const NCHW_AXIS = [0, 2, 3, 1] as const;

/**
 * Translates a float32 TFLite image model (NHWC) into an ONNX model (NCHW) for onnxruntime: convolutions,
 * depthwise convolutions, max pooling, zero padding, PReLU, element-wise ADD/SUB/MUL/ABS/RELU, concatenation,
 * bilinear resizing,
 * reshapes that flatten an activation map, and float16 weights (DEQUANTIZE of constants, folded into float32).
 * The ONNX input takes `[N, C, H, W]` with a free batch size `N`; per-channel constants are reshaped to
 * `[C, 1, 1]`. Graph outputs are named `output`, `output1`, `output2`… in the TFLite order.
 * Throws {@link TfliteConversionError} for any other operator, type or layout.
 */
export function tfliteToOnnx(file: Uint8Array): Uint8Array {
  return encodeOnnxModel(convertGraph(readTfliteModel(file)));
}

/** The ONNX name of the k-th graph output. */
export function onnxOutputName(k: number): string {
  return k === 0 ? 'output' : `output${k}`;
}

/** State shared by the per-operator translations. */
class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly names = new Map<number, string>();

  constructor(readonly tensors: TfliteTensor[]) {}

  tensor(i: number | undefined): TfliteTensor {
    const t = i === undefined ? undefined : this.tensors[i];
    if (!t) throw new TfliteConversionError(`tensor ${i} does not exist`);
    return t;
  }

  name(i: number): string {
    return this.names.get(i) ?? `t${i}`;
  }

  setName(i: number, name: string): void {
    this.names.set(i, name);
  }

  constant(name: string, dims: number[], raw: Uint8Array, type: number = OnnxType.FLOAT): string {
    if (!this.initializers.some((c) => c.name === name)) this.initializers.push({ name, dims, type, raw });
    return name;
  }

  int64s(name: string, values: number[]): string {
    const raw = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    return this.constant(name, [values.length], raw, OnnxType.INT64);
  }

  /** The names to write an operator's result to so that its fused activation (if any) follows it. */
  activation(out: string, fused: number): string[] {
    if (fused === ACTIVATION_NONE) return [out];
    if (fused !== ACTIVATION_RELU)
      throw new TfliteConversionError(`fused activation ${fused} is not supported`);
    this.nodes.push({ op: 'Relu', inputs: [`${out}_pre`], outputs: [out] });
    return [`${out}_pre`];
  }

  /** An operand that is either an activation or a scalar / per-channel constant against `rank`-D activations. */
  operand(i: number, rank: number): string {
    const t = this.tensor(i);
    if (t.data.length === 0) return this.name(i);
    return this.constant(`c${i}`, channelDims(t, rank), floatBytes(t));
  }
}

/** The ONNX graph for a parsed TFLite graph (see {@link tfliteToOnnx}). */
export function convertGraph(source: TfliteGraph): OnnxGraph {
  const graph = foldDequantize(source);
  const { tensors } = graph;
  const [inputIndex] = graph.inputs;
  if (graph.inputs.length !== 1 || inputIndex === undefined || graph.outputs.length === 0) {
    throw new TfliteConversionError('only graphs with one input and at least one output are converted');
  }
  for (const i of usedTensors(graph)) {
    const t = tensors[i];
    if (t && t.type !== TfliteType.FLOAT32 && t.type !== TfliteType.INT32) {
      throw new TfliteConversionError(`tensor ${t.name} has unsupported type ${t.type}`);
    }
  }
  const b = new Builder(tensors);
  const input = b.tensor(inputIndex);
  if (input.shape.length !== 4 || input.type !== TfliteType.FLOAT32) {
    throw new TfliteConversionError('the input must be a float32 NHWC image');
  }
  b.setName(inputIndex, 'input');
  for (const [k, op] of graph.operators.entries()) {
    const out = op.outputs[0];
    if (op.outputs.length !== 1 || out === undefined)
      throw new TfliteConversionError('operators must have one output');
    const outputAt = graph.outputs.indexOf(out);
    const outName = outputAt >= 0 ? onnxOutputName(outputAt) : `t${out}`;
    b.setName(out, outName);
    translate(b, op, `op${k}`, outName, out);
  }
  return {
    name: 'converted',
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [{ name: 'input', type: OnnxType.FLOAT, dims: ['N', ...nchw(input.shape).slice(1)] }],
    outputs: graph.outputs.map((o, k) => ({
      name: onnxOutputName(k),
      type: OnnxType.FLOAT,
      dims: ['N', ...nchw(b.tensor(o).shape).slice(1)],
    })),
    opset: 13,
  };
}

/** Tensors that the graph's remaining operators and its inputs/outputs refer to. */
function usedTensors(graph: TfliteGraph): Set<number> {
  const used = new Set<number>([...graph.inputs, ...graph.outputs]);
  for (const op of graph.operators) for (const i of [...op.inputs, ...op.outputs]) if (i >= 0) used.add(i);
  return used;
}

/**
 * Replaces every DEQUANTIZE of a float16 constant by the float32 constant it computes (how TFLite files store
 * half-precision weights). Any other DEQUANTIZE (int8 with scales, or of an activation) is refused.
 */
function foldDequantize(graph: TfliteGraph): TfliteGraph {
  const tensors = [...graph.tensors];
  const operators: TfliteOperator[] = [];
  for (const op of graph.operators) {
    if (op.op !== TfliteOp.DEQUANTIZE) {
      operators.push(op);
      continue;
    }
    const src = tensors[op.inputs[0] ?? -1];
    const out = op.outputs[0] ?? -1;
    const dst = tensors[out];
    if (!src || !dst || src.type !== TfliteType.FLOAT16 || src.data.length === 0) {
      throw new TfliteConversionError('DEQUANTIZE is supported only for float16 constants');
    }
    const half = new Uint16Array(Uint8Array.from(src.data).buffer);
    const values = Float32Array.from(half, halfToFloat);
    tensors[out] = { ...dst, type: TfliteType.FLOAT32, data: new Uint8Array(values.buffer) };
  }
  return { ...graph, tensors, operators };
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function translate(b: Builder, op: TfliteOperator, opName: string, outName: string, out: number): void {
  switch (op.op) {
    case TfliteOp.CONV_2D:
    case TfliteOp.DEPTHWISE_CONV_2D:
      convolution(b, op, opName, outName);
      return;
    case TfliteOp.MAX_POOL_2D:
      maxPool(b, op, opName, outName);
      return;
    case TfliteOp.ADD:
    case TfliteOp.SUB:
    case TfliteOp.MUL: {
      const [ai, bi] = op.inputs;
      if (ai === undefined || bi === undefined)
        throw new TfliteConversionError(`${opName}: needs two inputs`);
      const rank = b.tensor(out).shape.length;
      const onnxOp = op.op === TfliteOp.ADD ? 'Add' : op.op === TfliteOp.SUB ? 'Sub' : 'Mul';
      b.nodes.push({
        op: onnxOp,
        name: opName,
        inputs: [b.operand(ai, rank), b.operand(bi, rank)],
        outputs: b.activation(outName, op.activation),
      });
      return;
    }
    case TfliteOp.PRELU: {
      const [xi, ai] = op.inputs;
      if (xi === undefined || ai === undefined)
        throw new TfliteConversionError(`${opName}: needs two inputs`);
      const inputs = [b.name(xi), b.operand(ai, b.tensor(out).shape.length)];
      b.nodes.push({ op: 'PRelu', name: opName, inputs, outputs: [outName] });
      return;
    }
    case TfliteOp.RELU:
    case TfliteOp.ABS: {
      const [xi] = op.inputs;
      if (xi === undefined) throw new TfliteConversionError(`${opName}: needs an input`);
      const onnxOp = op.op === TfliteOp.RELU ? 'Relu' : 'Abs';
      b.nodes.push({ op: onnxOp, name: opName, inputs: [b.name(xi)], outputs: [outName] });
      return;
    }
    case TfliteOp.PAD:
      pad(b, op, opName, outName);
      return;
    case TfliteOp.CONCATENATION:
      concatenation(b, op, opName, outName);
      return;
    case TfliteOp.RESHAPE:
      reshape(b, op, opName, outName, out);
      return;
    case TfliteOp.RESIZE_BILINEAR:
      resizeBilinear(b, op, opName, outName, out);
      return;
    default:
      throw new TfliteConversionError(`TFLite operator ${op.op} is not supported`);
  }
}

function convolution(b: Builder, op: TfliteOperator, opName: string, outName: string): void {
  const [xi, wi, bi] = op.inputs;
  if (xi === undefined || wi === undefined || !op.window)
    throw new TfliteConversionError(`${opName}: malformed convolution`);
  const x = b.tensor(xi);
  const w = b.tensor(wi);
  const depthwise = op.op === TfliteOp.DEPTHWISE_CONV_2D;
  const [o, kh, kw, ci] = dims4(w);
  const weights = depthwise ? depthwiseWeights(w) : convWeights(w);
  const inputs = [b.name(xi), b.constant(`c${wi}`, depthwise ? [ci, 1, kh, kw] : [o, ci, kh, kw], weights)];
  if (bi !== undefined && bi >= 0) {
    const bias = b.tensor(bi);
    inputs.push(b.constant(`c${bi}`, [at(bias.shape, 0)], floatBytes(bias)));
  }
  const win = op.window;
  b.nodes.push({
    op: 'Conv',
    name: opName,
    inputs,
    outputs: b.activation(outName, op.activation),
    attributes: {
      kernel_shape: [kh, kw],
      strides: [win.strideH, win.strideW],
      dilations: [win.dilationH, win.dilationW],
      group: { int: depthwise ? at(x.shape, 3) : 1 },
      pads: pads(x, [kh, kw], win.padding, [win.strideH, win.strideW], [win.dilationH, win.dilationW]),
    },
  });
}

function maxPool(b: Builder, op: TfliteOperator, opName: string, outName: string): void {
  const [xi] = op.inputs;
  if (xi === undefined || !op.window || !op.filter)
    throw new TfliteConversionError(`${opName}: malformed pooling`);
  const x = b.tensor(xi);
  const kernel: [number, number] = [op.filter.height, op.filter.width];
  const strides: [number, number] = [op.window.strideH, op.window.strideW];
  b.nodes.push({
    op: 'MaxPool',
    name: opName,
    inputs: [b.name(xi)],
    outputs: b.activation(outName, op.activation),
    // ONNX MaxPool never takes a padded cell as the maximum, as TensorFlow's SAME pooling.
    attributes: { kernel_shape: kernel, strides, pads: pads(x, kernel, op.window.padding, strides, [1, 1]) },
  });
}

/** Zero padding of a 4-D activation (BlazeFace pads channels before its residual adds). */
function pad(b: Builder, op: TfliteOperator, opName: string, outName: string): void {
  const [xi, pi] = op.inputs;
  const x = b.tensor(xi);
  const p = b.tensor(pi);
  if (xi === undefined || x.shape.length !== 4 || p.type !== TfliteType.INT32 || p.data.length !== 32) {
    throw new TfliteConversionError(`${opName}: only constant paddings of a 4-D activation are supported`);
  }
  const v = new Int32Array(Uint8Array.from(p.data).buffer);
  // TFLite rows are [before, after] per NHWC axis; ONNX wants all NCHW befores, then all afters.
  const nhwcOf = [0, 3, 1, 2];
  const begin = nhwcOf.map((a) => at(v, 2 * a));
  const end = nhwcOf.map((a) => at(v, 2 * a + 1));
  b.nodes.push({
    op: 'Pad',
    name: opName,
    inputs: [b.name(xi), b.int64s(`c${pi}_pads`, [...begin, ...end])],
    outputs: [outName],
  });
}

function concatenation(b: Builder, op: TfliteOperator, opName: string, outName: string): void {
  const first = b.tensor(op.inputs[0]);
  const rank = first.shape.length;
  if (op.inputs.some((i) => b.tensor(i).data.length > 0))
    throw new TfliteConversionError(`${opName}: only activations are concatenated`);
  const axis = (op.axis ?? 0) < 0 ? (op.axis ?? 0) + rank : (op.axis ?? 0);
  b.nodes.push({
    op: 'Concat',
    name: opName,
    inputs: op.inputs.map((i) => b.name(i)),
    outputs: b.activation(outName, op.activation),
    attributes: { axis: { int: rank === 4 ? at(NCHW_AXIS, axis) : axis } },
  });
}

/** Bilinear resize of a 4-D activation to the output's size, on TensorFlow's sampling grid. */
function resizeBilinear(b: Builder, op: TfliteOperator, opName: string, outName: string, out: number): void {
  const [xi] = op.inputs;
  const x = b.tensor(xi);
  const y = b.tensor(out);
  if (xi === undefined || x.shape.length !== 4 || y.shape.length !== 4)
    throw new TfliteConversionError(`${opName}: only 4-D activations are resized`);
  const { alignCorners = false, halfPixelCenters = false } = op.resize ?? {};
  if (alignCorners && halfPixelCenters)
    throw new TfliteConversionError(`${opName}: align_corners with half_pixel_centers is not supported`);
  // TensorFlow's grids: half-pixel centres (clamped at the border, as ONNX's half_pixel), corners, or top-left.
  const mode = halfPixelCenters ? 'half_pixel' : alignCorners ? 'align_corners' : 'asymmetric';
  b.nodes.push({
    op: 'Resize',
    name: opName,
    inputs: [b.name(xi), '', '', b.int64s(`${opName}_sizes`, nchw(y.shape))],
    outputs: [outName],
    attributes: { mode: { string: 'linear' }, coordinate_transformation_mode: { string: mode } },
  });
}

function reshape(b: Builder, op: TfliteOperator, opName: string, outName: string, out: number): void {
  const [xi] = op.inputs;
  if (xi === undefined) throw new TfliteConversionError(`${opName}: needs an input`);
  const x = b.tensor(xi);
  const y = b.tensor(out);
  // NHWC [N,1,1,C] and NCHW [N,C,1,1] flatten to the same [N,C].
  if (x.shape.length === 4 && x.shape[1] === 1 && x.shape[2] === 1 && y.shape.length === 2) {
    b.nodes.push({
      op: 'Flatten',
      name: opName,
      inputs: [b.name(xi)],
      outputs: [outName],
      attributes: { axis: { int: 1 } },
    });
    return;
  }
  // [N,H,W,C] → [N,A,B] keeps TFLite's NHWC element order: back to NHWC first, then reshape, batch kept.
  if (x.shape.length === 4 && y.shape.length === 3 && x.shape[0] === y.shape[0]) {
    b.nodes.push({
      op: 'Transpose',
      name: `${opName}_nhwc`,
      inputs: [b.name(xi)],
      outputs: [`${outName}_nhwc`],
      attributes: { perm: [0, 2, 3, 1] },
    });
    b.nodes.push({
      op: 'Reshape',
      name: opName,
      inputs: [`${outName}_nhwc`, b.int64s(`${opName}_shape`, [0, at(y.shape, 1), at(y.shape, 2)])],
      outputs: [outName],
    });
    return;
  }
  throw new TfliteConversionError(
    `${opName}: only [N,1,1,C] → [N,C] and [N,H,W,C] → [N,A,B] reshapes are supported`,
  );
}

/** A 4-D NHWC shape in ONNX's NCHW order; other ranks are the same in both. */
function nchw(shape: number[]): number[] {
  return shape.length === 4 ? [0, 3, 1, 2].map((a) => at(shape, a)) : shape;
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

/** Conv weights OHWI → OIHW. The weight loops read `src` by indices inside its shape, so `?? 0` never applies. */
function convWeights(t: TfliteTensor): Uint8Array {
  const [o, kh, kw, ci] = dims4(t);
  const src = floats(t);
  const dst = new Float32Array(src.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          dst[((a * ci + i) * kh + y) * kw + x] = src[((a * kh + y) * kw + x) * ci + i] ?? 0;
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
      for (let c = 0; c < cm; c++) dst[(c * kh + y) * kw + x] = src[(y * kw + x) * cm + c] ?? 0;
  return new Uint8Array(dst.buffer);
}

/**
 * A scalar, or a per-channel constant (`[C]`, `[1,1,C]`, `[1,1,1,C]`) broadcast against NCHW activations of
 * rank 4; anything else would broadcast differently in the two layouts.
 */
function channelDims(t: TfliteTensor, rank: number): number[] {
  if (t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1)) return t.shape;
  const channels = at(t.shape, t.shape.length - 1);
  if (rank === 4 && t.shape.slice(0, -1).every((d) => d === 1)) return [channels, 1, 1];
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
  const size = [at(x.shape, 1), at(x.shape, 2)] as const;
  const total = (d: 0 | 1): number => {
    const out = Math.ceil(size[d] / strides[d]);
    const span = (kernel[d] - 1) * dilations[d] + 1;
    return Math.max(0, (out - 1) * strides[d] + span - size[d]);
  };
  const [top, left] = [total(0), total(1)];
  return [Math.floor(top / 2), Math.floor(left / 2), top - Math.floor(top / 2), left - Math.floor(left / 2)];
}
