/**
 * A minimal writer for ONNX `ModelProto` protobuf bytes: just the messages a converted float32 inference
 * graph needs (nodes with int/ints/float/string attributes, float and int64 initializers, typed inputs/outputs).
 */

/** ONNX `TensorProto.DataType` values used here. */
export const OnnxType = { FLOAT: 1, INT64: 7 } as const;

/** A node attribute: an integer, an integer list, a float or a string. */
export type OnnxAttribute = number[] | { int: number } | { float: number } | { string: string };

/** One graph node. */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A constant tensor (weights, shapes). */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  type: number;
  /** Little-endian raw bytes, as ONNX `raw_data` stores them. */
  raw: Uint8Array;
}

/** A graph input or output; a string dimension is symbolic (e.g. the batch size `N`). */
export interface OnnxValueInfo {
  name: string;
  type: number;
  dims: (number | string)[];
}

/** A whole model. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset: number;
}

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }

  private varint(value: number): void {
    const out: number[] = [];
    // Negative int64 values take ten bytes in two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.varint((field << 3) | 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function attribute(w: ProtoWriter, name: string, value: OnnxAttribute): void {
  w.string(1, name);
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if ('int' in value) {
    w.int(3, value.int).int(20, 2);
  } else if ('string' in value) {
    w.string(4, value.string).int(20, 3);
  } else {
    w.float(2, value.float).int(20, 1);
  }
}

function valueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

/** Serialises the graph as an ONNX model (IR version 8) that onnxruntime can load from memory. */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8);
  w.string(2, 'facegate-tflite-to-onnx');
  w.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        if (n.name) node.string(3, n.name);
        node.string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) {
          node.message(5, (a) => attribute(a, name, value));
        }
      });
    }
    g.string(2, graph.name);
    for (const t of graph.initializers) {
      g.message(5, (tensor) => {
        for (const d of t.dims) tensor.int(1, d);
        tensor.int(2, t.type);
        tensor.string(8, t.name);
        tensor.bytes(9, t.raw);
      });
    }
    for (const i of graph.inputs) g.message(11, (v) => valueInfo(v, i));
    for (const o of graph.outputs) g.message(12, (v) => valueInfo(v, o));
  });
  w.message(8, (opset) => opset.string(1, '').int(2, graph.opset));
  return w.finish();
}
