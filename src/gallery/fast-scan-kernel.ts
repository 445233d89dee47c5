import { asm, assembleModule, I32, Op, Simd, V128, VOID } from './wasm-assembler.js';

/** Rows per block: one 128-bit vector holds one byte (two 4-bit codes) of 16 rows. */
export const BLOCK_ROWS = 16;

/** Byte offset of the 32-byte scratch area in the kernel's memory (the block's 16 scores). */
const SCRATCH = 0;

// Parameters and locals of `scan`.
const P_CODES = 0;
const P_LUT = 1;
const P_BLOCK = 2;
const P_END = 3;
const P_THRESHOLD = 4;
const P_OUT_ROWS = 5;
const P_OUT_SCORES = 6;
const L_PTR = 7;
const L_COUNT = 8;
const L_MASK = 9;
const L_LANE = 10;
/** Even rows (lanes 0..7 = rows 0, 2, .., 14) once {@link evenRows} ran. */
const L_ACC_WHOLE = 11;
/** Odd rows (lanes 0..7 = rows 1, 3, .., 15). */
const L_ACC_ODD = 12;
const L_SUM = 13;
const L_CODES = 14;
const L_THRESHOLD = 15;
const L_NIBBLE = 16;

/**
 * Adds the pair's two table look-ups (u8, no overflow by construction of the tables) into the u16 accumulators.
 * The byte sums are added as u16 lanes whole (even row + 256 × odd row) and, shifted, as odd rows alone; the even
 * rows' sums are recovered once per block. Three instructions per pair rather than two widenings and two adds.
 */
function pairBody(pair: number, first: boolean): number[] {
  const accumulate = (acc: number, shift: number[]): number[] =>
    first
      ? [...asm.get(L_SUM), ...shift, ...asm.set(acc)]
      : [...asm.get(acc), ...asm.get(L_SUM), ...shift, ...asm.simd(Simd.i16x8Add), ...asm.set(acc)];
  return [
    ...asm.get(L_PTR),
    ...asm.simdMem(Simd.v128Load, pair * 16),
    ...asm.set(L_CODES),
    // Low nibbles (sub-space 2p) look up table 2p, high nibbles (sub-space 2p+1) table 2p+1.
    ...asm.get(P_LUT),
    ...asm.simdMem(Simd.v128Load, pair * 32),
    ...asm.get(L_CODES),
    ...asm.get(L_NIBBLE),
    ...asm.simd(Simd.v128And),
    ...asm.simd(Simd.i8x16Swizzle),
    ...asm.get(P_LUT),
    ...asm.simdMem(Simd.v128Load, pair * 32 + 16),
    ...asm.get(L_CODES),
    ...asm.i32(4),
    ...asm.simd(Simd.i16x8ShrU),
    ...asm.get(L_NIBBLE),
    ...asm.simd(Simd.v128And),
    ...asm.simd(Simd.i8x16Swizzle),
    ...asm.simd(Simd.i8x16Add),
    ...asm.set(L_SUM),
    ...accumulate(L_ACC_WHOLE, []),
    ...accumulate(L_ACC_ODD, [...asm.i32(8), ...asm.simd(Simd.i16x8ShrU)]),
  ];
}

/** Turns the whole-lane accumulator into the even rows' sums: whole − 256 × odd (mod 2¹⁶, exact). */
function evenRows(): number[] {
  return [
    ...asm.get(L_ACC_WHOLE),
    ...asm.get(L_ACC_ODD),
    ...asm.i32(8),
    ...asm.simd(Simd.i16x8Shl),
    ...asm.simd(Simd.i16x8Sub),
    ...asm.set(L_ACC_WHOLE),
  ];
}

/** Writes (row, score) for every lane whose bit is set in the mask local. */
function emitBody(): number[] {
  return [
    ...asm.i32(SCRATCH),
    ...asm.get(L_ACC_WHOLE),
    ...asm.simdMem(Simd.v128Store, 0),
    ...asm.i32(SCRATCH),
    ...asm.get(L_ACC_ODD),
    ...asm.simdMem(Simd.v128Store, 16),
    Op.loop,
    VOID,
    ...asm.get(L_MASK),
    Op.i32Ctz,
    ...asm.set(L_LANE),
    // outRows[count] = block * 16 + row of the lane: bits 0..7 are even rows, bits 8..15 odd rows
    ...asm.get(P_OUT_ROWS),
    ...asm.get(L_COUNT),
    ...asm.i32(2),
    Op.i32Shl,
    Op.i32Add,
    ...asm.get(P_BLOCK),
    ...asm.i32(4),
    Op.i32Shl,
    ...asm.get(L_LANE),
    ...asm.i32(7),
    Op.i32And,
    ...asm.i32(1),
    Op.i32Shl,
    Op.i32Add,
    ...asm.get(L_LANE),
    ...asm.i32(3),
    Op.i32ShrU,
    Op.i32Add,
    ...asm.mem(Op.i32Store, 2),
    // outScores[count] = scratch u16 of the lane
    ...asm.get(P_OUT_SCORES),
    ...asm.get(L_COUNT),
    ...asm.i32(2),
    Op.i32Shl,
    Op.i32Add,
    ...asm.get(L_LANE),
    ...asm.i32(1),
    Op.i32Shl,
    ...asm.mem(Op.i32Load16U, 1, SCRATCH),
    ...asm.mem(Op.i32Store, 2),
    ...asm.get(L_COUNT),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.set(L_COUNT),
    // mask &= mask - 1; continue while bits are left
    ...asm.get(L_MASK),
    ...asm.get(L_MASK),
    ...asm.i32(1),
    Op.i32Sub,
    Op.i32And,
    ...asm.tee(L_MASK),
    Op.brIf,
    0,
    Op.end,
  ];
}

/**
 * Body of `scan(codes, lut, block, end, threshold, outRows, outScores) → count`, unrolled over `pairs` code bytes
 * per row. For blocks [block, end) of 16 rows it sums each row's u8 table entries (two per code byte) in u16 lanes
 * and writes the row number and score of every row scoring above `threshold` (signed 16-bit compare; −1 keeps every
 * row), block by block, and in a block the even rows before the odd ones.
 */
function scanBody(pairs: number): number[] {
  const body: number[] = [
    ...asm.get(P_THRESHOLD),
    ...asm.simd(Simd.i16x8Splat),
    ...asm.set(L_THRESHOLD),
    ...asm.v128Const(new Array<number>(16).fill(0x0f)),
    ...asm.set(L_NIBBLE),
    ...asm.get(P_CODES),
    ...asm.get(P_BLOCK),
    ...asm.i32(pairs * 16),
    Op.i32Mul,
    Op.i32Add,
    ...asm.set(L_PTR),
    Op.block,
    VOID,
    ...asm.get(P_BLOCK),
    ...asm.get(P_END),
    Op.i32GeU,
    Op.brIf,
    0,
    Op.loop,
    VOID,
  ];
  for (let p = 0; p < pairs; p++) body.push(...pairBody(p, p === 0));
  body.push(
    ...evenRows(),
    ...asm.get(L_ACC_WHOLE),
    ...asm.get(L_THRESHOLD),
    ...asm.simd(Simd.i16x8GtS),
    ...asm.simd(Simd.i16x8Bitmask),
    ...asm.get(L_ACC_ODD),
    ...asm.get(L_THRESHOLD),
    ...asm.simd(Simd.i16x8GtS),
    ...asm.simd(Simd.i16x8Bitmask),
    ...asm.i32(8),
    Op.i32Shl,
    Op.i32Or,
    ...asm.tee(L_MASK),
    Op.if,
    VOID,
    ...emitBody(),
    Op.end,
    ...asm.get(L_PTR),
    ...asm.i32(pairs * 16),
    Op.i32Add,
    ...asm.set(L_PTR),
    ...asm.get(P_BLOCK),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.tee(P_BLOCK),
    ...asm.get(P_END),
    Op.i32LtU,
    Op.brIf,
    0,
    Op.end,
    Op.end,
    ...asm.get(L_COUNT),
  );
  return body;
}

/** The module bytes of the scan kernel for `pairs` code bytes per row. */
export function scanKernelBytes(pairs: number): Uint8Array {
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error('pairs must be a positive integer');
  return assembleModule([
    {
      name: 'scan',
      params: 7,
      result: true,
      locals: [
        { count: 4, type: I32 },
        { count: 6, type: V128 },
      ],
      body: scanBody(pairs),
    },
  ]);
}

/** Signature of the exported kernel; pointers are byte offsets in the kernel's memory. */
export type ScanKernel = (
  codes: number,
  lut: number,
  block: number,
  end: number,
  threshold: number,
  outRows: number,
  outScores: number,
) => number;

/** The parts of the WebAssembly JavaScript API used here (the project's type libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** A compiled module (opaque). */
export type WasmModule = { readonly compiledWasm: unique symbol };
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** The runtime's WebAssembly API, or null when it has none. */
export function wasmApi(): WasmApi | null {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

const modules = new Map<number, WasmModule | null>();

/**
 * The compiled kernel module for `pairs`, or null where WebAssembly SIMD is not available (the TypeScript scan is
 * then used). Compiled synchronously once per pair count.
 */
export function scanKernelModule(pairs: number): WasmModule | null {
  const cached = modules.get(pairs);
  if (cached !== undefined) return cached;
  const api = wasmApi();
  const bytes = scanKernelBytes(pairs);
  const module = api?.validate(bytes) ? new api.Module(bytes) : null;
  modules.set(pairs, module);
  return module;
}

/** A kernel instance over a new memory of `pages` 64 KiB pages. */
export function instantiateScanKernel(
  module: WasmModule,
  pages: number,
): { memory: WasmMemory; scan: ScanKernel } {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  const memory = new api.Memory({ initial: pages });
  const instance = new api.Instance(module, { env: { memory } });
  return { memory, scan: instance.exports.scan as ScanKernel };
}

/**
 * The TypeScript equivalent of the kernel over the same memory layout: the reference the kernel is tested
 * against, and the scan where WebAssembly SIMD is missing. Mirrors the kernel's arithmetic exactly (u8 pair sums,
 * u16 accumulators, signed 16-bit compare).
 */
export function scanReference(
  memory: Uint8Array,
  pairs: number,
  codes: number,
  lut: number,
  block: number,
  end: number,
  threshold: number,
  outRows: Int32Array,
  outScores: Int32Array,
): number {
  const limit = (threshold << 16) >> 16;
  const stride = pairs * 16;
  let count = 0;
  for (let b = block; b < end; b++) {
    const base = codes + b * stride;
    for (let i = 0; i < BLOCK_ROWS; i++) {
      // The kernel's order within a block: even rows, then odd rows.
      const lane = i < 8 ? 2 * i : 2 * (i - 8) + 1;
      let acc = 0;
      for (let p = 0, o = base + lane; p < pairs; p++, o += 16) {
        const byte = memory[o] ?? 0;
        const t = lut + p * 32;
        acc =
          (acc + (((memory[t + (byte & 15)] ?? 0) + (memory[t + 16 + (byte >>> 4)] ?? 0)) & 255)) & 0xffff;
      }
      if ((acc << 16) >> 16 > limit) {
        outRows[count] = b * BLOCK_ROWS + lane;
        outScores[count] = acc;
        count++;
      }
    }
  }
  return count;
}
