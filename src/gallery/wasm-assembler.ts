/**
 * A minimal WebAssembly binary writer: one imported memory (`env.memory`) and functions of i32 parameters and
 * results. Enough for the gallery's scan kernel, which is generated at start-up for the index's sub-space count, so
 * no wasm toolchain or committed binary is needed. Opcodes follow the WebAssembly core and SIMD binary encodings.
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

/** Core opcodes used by the kernels. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32GeU: 0x4f,
  i32LtU: 0x49,
  i64LtS: 0x53,
  i64GtS: 0x55,
  i64GeS: 0x59,
  i32Ctz: 0x68,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Or: 0x84,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes (written after the 0xfd prefix as unsigned LEB128). */
export const Simd = {
  v128Load: 0x00,
  v128Load8x8S: 0x01,
  v128Load16Splat: 0x08,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i8x16Swizzle: 0x0e,
  i16x8Splat: 0x10,
  i16x8GtS: 0x31,
  i16x8GeS: 0x35,
  v128And: 0x4e,
  i8x16Add: 0x6e,
  i16x8Bitmask: 0x84,
  i16x8Shl: 0x8b,
  i16x8ShrU: 0x8d,
  i16x8Add: 0x8e,
  i16x8Sub: 0x91,
  i16x8Mul: 0x95,
  i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4ConvertI32x4S: 0xfa,
} as const;

/** Block type of a block, loop or if without results. */
export const VOID = 0x40;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Instruction helpers returning their bytes. */
export const asm = {
  get: (local: number): number[] => [Op.localGet, ...uleb(local)],
  set: (local: number): number[] => [Op.localSet, ...uleb(local)],
  tee: (local: number): number[] => [Op.localTee, ...uleb(local)],
  i32: (value: number): number[] => [Op.i32Const, ...sleb(value)],
  /** An i64 constant in the 32-bit signed range. */
  i64: (value: number): number[] => [Op.i64Const, ...sleb(value)],
  /** A memory instruction with its memarg (alignment as log2 bytes, constant offset). */
  mem: (opcode: number, align: number, offset = 0): number[] => [opcode, ...uleb(align), ...uleb(offset)],
  simd: (opcode: number): number[] => [0xfd, ...uleb(opcode)],
  /** A SIMD memory instruction; `align` is log2 of the access size (4 for a whole v128). */
  simdMem: (opcode: number, offset = 0, align = 4): number[] => [
    0xfd,
    ...uleb(opcode),
    ...uleb(align),
    ...uleb(offset),
  ],
  v128Const: (bytes: number[]): number[] => [0xfd, ...uleb(Simd.v128Const), ...bytes],
};

/** One exported function: i32 parameters, an optional i32 result, extra locals by type (in declaration order). */
export interface WasmFunction {
  name: string;
  params: number;
  result: boolean;
  locals: Array<{ count: number; type: number }>;
  body: number[];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** How the imported memory is declared: plain, or shared between threads (which needs a maximum size). */
export interface ImportedMemory {
  /** Largest size in 64 KiB pages; a shared memory reserves it at creation and grows in place. */
  maximumPages: number;
  shared: true;
}

/**
 * The bytes of a module importing `env.memory` (at least one page; shared when `memory` says so) and exporting
 * `functions`.
 */
export function assembleModule(functions: WasmFunction[], memory?: ImportedMemory): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...uleb(f.params),
    ...new Array<number>(f.params).fill(I32),
    ...(f.result ? [1, I32] : [0]),
  ]);
  // Limits: flag 0 = minimum only; flag 3 = minimum, maximum, shared.
  const limits = memory ? [0x03, ...uleb(1), ...uleb(memory.maximumPages)] : [0x00, ...uleb(1)];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const content = [...vector(f.locals.map((l) => [...uleb(l.count), l.type])), ...f.body, Op.end];
    return [...uleb(content.length), ...content];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
