import { MAX_PAGES, type WasmMemory, type WasmModule, wasmApi } from './fast-scan-kernel.js';
import { asm, assembleModule, I32, Op, Simd, V128, VOID } from './wasm-assembler.js';

/** Components sharing one scale: the embedders' parts differ in spread (a fused vector's 192-d part runs larger). */
export const BLOCK = 64;

// Parameters and locals of `rerank(slots, count, base, out)`.
const P_SLOTS = 0;
const P_COUNT = 1;
const P_BASE = 2;
const P_OUT = 3;
const L_ROW = 4;
const L_TOTAL = 5;
const L_ACC = 6;
const L_SHIFTS = 7;
const L_VALUES = 8;
const L_ACC_FINE = 9;

/** The query's second term carries its rounding remainder in units of 1/FINE of the first term's step. */
const FINE = 32_768;

/** i16 lane k holds the low-bit field at bit 2k of two low-bit bytes: multiplying by 2^(14 − 2k) lifts it to the top. */
const LOW_BIT_LIFT = [16384, 4096, 1024, 256, 64, 16, 4, 1];

/** Where the parts of a stored row sit, relative to its first byte (see {@link rowLayout}). */
interface RowLayout {
  scalesAt: number;
  hiAt: number;
  loAt: number;
  stride: number;
}

/**
 * The layout of one row as {@link QuantisedVectors} stores it: the float32 scales (one per block of 64), the d
 * signed high bytes, the ⌈d/4⌉ bytes of low bits, padded to a multiple of 4 bytes so that every row's scales are
 * aligned.
 */
export function rowLayout(dimension: number): RowLayout {
  const scalesAt = 0;
  const hiAt = 4 * Math.ceil(dimension / BLOCK);
  const loAt = hiAt + dimension;
  const stride = Math.ceil((loAt + Math.ceil(dimension / 4)) / 4) * 4;
  return { scalesAt, hiAt, loAt, stride };
}

/**
 * Bytes of the query's two 16-bit integer terms at the start of a kernel memory (coarse at 0, fine after it); the
 * rest of the memory's header follows.
 */
export function queryTermBytes(dimension: number): number {
  return Math.ceil((4 * dimension) / 16) * 16;
}

/**
 * One group of 8 components: the values 4 × high + low as i16 lanes, then their pair sums with the query's two terms
 * added into the two accumulators.
 */
function groupBody(dimension: number, row: RowLayout, j0: number, first: boolean): number[] {
  const accumulate = (acc: number, queryAt: number): number[] => {
    const dot = [
      ...asm.get(L_VALUES),
      ...asm.i32(0),
      ...asm.simdMem(Simd.v128Load, queryAt),
      ...asm.simd(Simd.i32x4DotI16x8S),
    ];
    return first
      ? [...dot, ...asm.set(acc)]
      : [...asm.get(acc), ...dot, ...asm.simd(Simd.i32x4Add), ...asm.set(acc)];
  };
  return [
    ...asm.get(L_ROW),
    ...asm.simdMem(Simd.v128Load8x8S, row.hiAt + j0, 3),
    ...asm.i32(2),
    ...asm.simd(Simd.i16x8Shl),
    ...asm.get(L_ROW),
    ...asm.simdMem(Simd.v128Load16Splat, row.loAt + j0 / 4, 1),
    ...asm.get(L_SHIFTS),
    ...asm.simd(Simd.i16x8Mul),
    ...asm.i32(14),
    ...asm.simd(Simd.i16x8ShrU),
    ...asm.simd(Simd.i16x8Add),
    ...asm.set(L_VALUES),
    ...accumulate(L_ACC, 2 * j0),
    ...accumulate(L_ACC_FINE, 2 * dimension + 2 * j0),
  ];
}

/**
 * Body scoring the `count` rows whose numbers are listed at `slots` (i32, rows of `stride` bytes from `base`), in
 * place: per block an integer dot product, scaled in float32 by the block's scale; four partial sums per row to
 * `out`.
 */
function rerankBody(dimension: number): number[] {
  const row = rowLayout(dimension);
  const lift = LOW_BIT_LIFT.flatMap((v) => [v & 255, v >>> 8]);
  const body: number[] = [
    ...asm.v128Const(lift),
    ...asm.set(L_SHIFTS),
    Op.block,
    VOID,
    ...asm.get(P_COUNT),
    Op.i32Eqz,
    Op.brIf,
    0,
    Op.loop,
    VOID,
    ...asm.get(P_BASE),
    ...asm.get(P_SLOTS),
    ...asm.mem(Op.i32Load, 2),
    ...asm.i32(row.stride),
    Op.i32Mul,
    Op.i32Add,
    ...asm.set(L_ROW),
  ];
  for (let b = 0, start = 0; start < dimension; b++, start += BLOCK) {
    const end = Math.min(dimension, start + BLOCK);
    for (let j0 = start; j0 < end; j0 += 8) body.push(...groupBody(dimension, row, j0, j0 === start));
    const scaled = [
      ...asm.get(L_ACC),
      ...asm.simd(Simd.f32x4ConvertI32x4S),
      ...asm.get(L_ACC_FINE),
      ...asm.simd(Simd.f32x4ConvertI32x4S),
      ...asm.v128Const(f32x4Bytes(1 / FINE)),
      ...asm.simd(Simd.f32x4Mul),
      ...asm.simd(Simd.f32x4Add),
      ...asm.get(L_ROW),
      ...asm.simdMem(Simd.v128Load32Splat, row.scalesAt + 4 * b, 2),
      ...asm.simd(Simd.f32x4Mul),
    ];
    body.push(
      ...(b === 0
        ? [...scaled, ...asm.set(L_TOTAL)]
        : [...asm.get(L_TOTAL), ...scaled, ...asm.simd(Simd.f32x4Add), ...asm.set(L_TOTAL)]),
    );
  }
  body.push(
    ...asm.get(P_OUT),
    ...asm.get(L_TOTAL),
    ...asm.simdMem(Simd.v128Store, 0),
    ...asm.get(P_SLOTS),
    ...asm.i32(4),
    Op.i32Add,
    ...asm.set(P_SLOTS),
    ...asm.get(P_OUT),
    ...asm.i32(16),
    Op.i32Add,
    ...asm.set(P_OUT),
    ...asm.get(P_COUNT),
    ...asm.i32(1),
    Op.i32Sub,
    ...asm.tee(P_COUNT),
    Op.brIf,
    0,
    Op.end,
    Op.end,
  );
  return body;
}

// Parameters and locals of `touch(slots, count, base) → sum`.
const T_SLOTS = 0;
const T_COUNT = 1;
const T_BASE = 2;
const T_ROW = 3;
const T_SUM = 4;

/**
 * Body reading one word of every 64-byte line of the `count` rows listed at `slots`, all independent loads, so that
 * the processor fetches the rows from memory in parallel before the kernel reads them in order (WebAssembly has no
 * prefetch instruction). Returns the words' sum, so that the loads are kept.
 */
function touchBody(dimension: number): number[] {
  const { stride } = rowLayout(dimension);
  const body: number[] = [
    Op.block,
    VOID,
    ...asm.get(T_COUNT),
    Op.i32Eqz,
    Op.brIf,
    0,
    Op.loop,
    VOID,
    ...asm.get(T_BASE),
    ...asm.get(T_SLOTS),
    ...asm.mem(Op.i32Load, 2),
    ...asm.i32(stride),
    Op.i32Mul,
    Op.i32Add,
    ...asm.set(T_ROW),
  ];
  for (let at = 0; at < stride; at += 64) {
    body.push(
      ...asm.get(T_SUM),
      ...asm.get(T_ROW),
      ...asm.mem(Op.i32Load, 2, at),
      Op.i32Add,
      ...asm.set(T_SUM),
    );
  }
  body.push(
    ...asm.get(T_SLOTS),
    ...asm.i32(4),
    Op.i32Add,
    ...asm.set(T_SLOTS),
    ...asm.get(T_COUNT),
    ...asm.i32(1),
    Op.i32Sub,
    ...asm.tee(T_COUNT),
    Op.brIf,
    0,
    Op.end,
    Op.end,
    ...asm.get(T_SUM),
  );
  return body;
}

/** The bytes of a v128 constant with four lanes of `value` (float32, little-endian). */
function f32x4Bytes(value: number): number[] {
  const lanes = new Float32Array([value, value, value, value]);
  return [...new Uint8Array(lanes.buffer)];
}

/** The module bytes of the re-rank kernel for one dimension (a multiple of 8), on a shared memory. */
export function rerankKernelBytes(dimension: number): Uint8Array {
  if (!Number.isInteger(dimension) || dimension < 8 || dimension % 8 !== 0)
    throw new Error('dimension must be a positive multiple of 8');
  return assembleModule(
    [
      {
        name: 'rerank',
        params: 4,
        result: false,
        locals: [
          { count: 1, type: I32 },
          { count: 5, type: V128 },
        ],
        body: rerankBody(dimension),
      },
      {
        name: 'touch',
        params: 3,
        result: true,
        locals: [{ count: 2, type: I32 }],
        body: touchBody(dimension),
      },
    ],
    { maximumPages: MAX_PAGES, shared: true },
  );
}

const modules = new Map<number, WasmModule | null>();

/** The compiled re-rank kernel for a dimension, or null where it is unavailable (the re-rank then runs in JS). */
export function rerankKernelModule(dimension: number): WasmModule | null {
  const cached = modules.get(dimension);
  if (cached !== undefined) return cached;
  const api = wasmApi();
  const bytes = dimension % 8 === 0 && dimension >= 8 ? rerankKernelBytes(dimension) : null;
  const module = bytes && api?.validate(bytes) ? new api.Module(bytes) : null;
  modules.set(dimension, module);
  return module;
}

/** The exported functions; pointers are byte offsets in the kernel's memory. */
export interface RerankKernel {
  /** Scores `count` rows listed at `slots` (rows of the row layout's stride from `base`); partial sums to `out`. */
  rerank: (slots: number, count: number, base: number, out: number) => void;
  /** Reads every 64-byte line of the listed rows (so that they are fetched in parallel); returns a sum to ignore. */
  touch: (slots: number, count: number, base: number) => number;
}

/** The kernel instantiated on `memory` (any thread may instantiate the module on the same memory). */
export function instantiateRerank(module: WasmModule, memory: WasmMemory): RerankKernel {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  const { exports } = new api.Instance(module, { env: { memory } });
  return { rerank: exports.rerank as RerankKernel['rerank'], touch: exports.touch as RerankKernel['touch'] };
}

/**
 * Splits a query into the kernel's two 16-bit integer terms: `coarse` in steps of 1/32767 of its largest component,
 * `fine` the rounding remainder in 1/32768 of that step. Returns the step (the factor of the kernel's sums).
 */
export function queryTerms(query: Float32Array, coarse: Int16Array, fine: Int16Array): number {
  let max = 0;
  for (let j = 0; j < query.length; j++) max = Math.max(max, Math.abs(query[j] ?? 0));
  const inverse = max > 0 ? 32_767 / max : 0;
  for (let j = 0; j < query.length; j++) {
    const x = (query[j] ?? 0) * inverse;
    const c = Math.round(x);
    coarse[j] = c;
    fine[j] = Math.round((x - c) * FINE);
  }
  return max > 0 ? max / 32_767 : 0;
}
