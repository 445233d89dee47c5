/**
 * A reader for the subset of the TensorFlow Lite flatbuffer schema (`schema.fbs`, file identifier `TFL3`)
 * that float32 inference graphs use: tensors with their constant buffers and operators with their options.
 */

/** TFLite `BuiltinOperator` codes this reader names. */
export const TfliteOp = {
  ADD: 0,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  PAD: 34,
  SUB: 41,
  PRELU: 54,
  ABS: 101,
} as const;

/** TFLite `TensorType.FLOAT32` / `FLOAT16` / `INT32`. */
export const TfliteType = { FLOAT32: 0, FLOAT16: 1, INT32: 2 } as const;

/** One tensor of the graph; `data` holds the constant bytes of weights, empty for activations. */
export interface TfliteTensor {
  name: string;
  shape: number[];
  type: number;
  data: Uint8Array;
}

/** Convolution options (`Conv2DOptions`, `DepthwiseConv2DOptions`). */
export interface TfliteWindowOptions {
  /** `SAME` (0) or `VALID` (1). */
  padding: number;
  strideW: number;
  strideH: number;
  dilationW: number;
  dilationH: number;
  depthMultiplier: number;
}

/** One operator: its builtin code, tensor indices (−1 = absent optional input) and options. */
export interface TfliteOperator {
  op: number;
  inputs: number[];
  outputs: number[];
  /** `fused_activation_function`: NONE 0, RELU 1, RELU6 3. */
  activation: number;
  window: TfliteWindowOptions | undefined;
  /** MAX_POOL_2D window size (its strides and padding are in `window`). */
  filter?: { height: number; width: number };
  /** CONCATENATION axis (may be negative). */
  axis?: number;
  /** RESIZE_BILINEAR sampling grid. */
  resize?: { alignCorners: boolean; halfPixelCenters: boolean };
}

/** The first subgraph of a model. */
export interface TfliteGraph {
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}

/** Flatbuffer table access over a little-endian buffer. */
class Table {
  constructor(
    private readonly view: DataView,
    readonly pos: number,
  ) {}

  private field(index: number): number {
    const vtable = this.pos - this.view.getInt32(this.pos, true);
    const size = this.view.getUint16(vtable, true);
    const at = 4 + 2 * index;
    if (at >= size) return 0;
    const offset = this.view.getUint16(vtable + at, true);
    return offset === 0 ? 0 : this.pos + offset;
  }

  private indirect(p: number): number {
    return p + this.view.getUint32(p, true);
  }

  int(index: number, fallback: number): number {
    const p = this.field(index);
    return p === 0 ? fallback : this.view.getInt32(p, true);
  }

  uint(index: number, fallback: number): number {
    const p = this.field(index);
    return p === 0 ? fallback : this.view.getUint32(p, true);
  }

  byte(index: number, fallback: number): number {
    const p = this.field(index);
    return p === 0 ? fallback : this.view.getInt8(p);
  }

  table(index: number): Table | undefined {
    const p = this.field(index);
    return p === 0 ? undefined : new Table(this.view, this.indirect(p));
  }

  private vector(index: number): { length: number; start: number } | undefined {
    const p = this.field(index);
    if (p === 0) return undefined;
    const v = this.indirect(p);
    return { length: this.view.getUint32(v, true), start: v + 4 };
  }

  tables(index: number): Table[] {
    const v = this.vector(index);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, k) => new Table(this.view, this.indirect(v.start + 4 * k)));
  }

  ints(index: number): number[] {
    const v = this.vector(index);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, k) => this.view.getInt32(v.start + 4 * k, true));
  }

  bytes(index: number): Uint8Array {
    const v = this.vector(index);
    if (!v) return new Uint8Array(0);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + v.start, v.length);
  }

  string(index: number): string {
    return new TextDecoder().decode(this.bytes(index));
  }
}

/**
 * Parses the first subgraph of a `.tflite` file. Tensor data are views into `file`, not copies.
 * Throws `RangeError` for a file that is not a TFLite model or reads outside its bounds.
 */
export function readTfliteModel(file: Uint8Array): TfliteGraph {
  if (file.length < 8 || new TextDecoder().decode(file.subarray(4, 8)) !== 'TFL3') {
    throw new RangeError('not a TFLite model (no TFL3 identifier)');
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const model = new Table(view, view.getUint32(0, true));
  // The newer int32 `builtin_code` replaced a deprecated byte; a writer fills whichever it knows.
  const opcodes = model.tables(1).map((c) => Math.max(c.byte(0, 0), c.int(3, 0)));
  const buffers = model.tables(4).map((b) => b.bytes(0));
  const graph = model.tables(2)[0];
  if (!graph) throw new RangeError('TFLite model has no subgraph');
  const tensors = graph.tables(0).map((t) => ({
    name: t.string(3),
    shape: t.ints(0),
    type: t.byte(1, 0),
    data: buffers[t.uint(2, 0)] ?? new Uint8Array(0),
  }));
  const operators = graph.tables(3).map((o): TfliteOperator => {
    const op = opcodes[o.uint(0, 0)];
    if (op === undefined) throw new RangeError('operator refers to a missing operator code');
    return { op, inputs: o.ints(1), outputs: o.ints(2), ...options(op, o.table(4)) };
  });
  return { tensors, operators, inputs: graph.ints(1), outputs: graph.ints(2) };
}

type OperatorOptions = Pick<TfliteOperator, 'activation' | 'window' | 'filter' | 'axis' | 'resize'>;

function options(op: number, t: Table | undefined): OperatorOptions {
  if (!t) return { activation: 0, window: undefined };
  switch (op) {
    case TfliteOp.CONV_2D:
      return {
        activation: t.byte(3, 0),
        window: window(t.byte(0, 0), t.int(1, 1), t.int(2, 1), t.int(4, 1), t.int(5, 1), 1),
      };
    case TfliteOp.DEPTHWISE_CONV_2D:
      return {
        activation: t.byte(4, 0),
        window: window(t.byte(0, 0), t.int(1, 1), t.int(2, 1), t.int(5, 1), t.int(6, 1), t.int(3, 1)),
      };
    case TfliteOp.MAX_POOL_2D:
      return {
        activation: t.byte(5, 0),
        window: window(t.byte(0, 0), t.int(1, 1), t.int(2, 1), 1, 1, 1),
        filter: { width: t.int(3, 1), height: t.int(4, 1) },
      };
    case TfliteOp.CONCATENATION:
      return { activation: t.byte(1, 0), window: undefined, axis: t.int(0, 0) };
    case TfliteOp.RESIZE_BILINEAR:
      return {
        activation: 0,
        window: undefined,
        resize: { alignCorners: t.byte(2, 0) !== 0, halfPixelCenters: t.byte(3, 0) !== 0 },
      };
    case TfliteOp.ADD:
    case TfliteOp.MUL:
    case TfliteOp.SUB:
      return { activation: t.byte(0, 0), window: undefined };
    default:
      return { activation: 0, window: undefined };
  }
}

function window(
  padding: number,
  strideW: number,
  strideH: number,
  dilationW: number,
  dilationH: number,
  depthMultiplier: number,
): TfliteWindowOptions {
  return { padding, strideW, strideH, dilationW, dilationH, depthMultiplier };
}
