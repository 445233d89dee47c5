import { type WasmMemory, type WasmModule, wasmApi } from './fast-scan-kernel.js';
import { BLOCK, type QuantisedVectors } from './quantised-vectors.js';
import { asm, assembleModule, Op, Simd, V128, VOID } from './wasm-assembler.js';

// Parameters and locals of `rerank(stage, count, out)`.
const P_STAGE = 0;
const P_COUNT = 1;
const P_OUT = 2;
const L_TOTAL = 3;
const L_ACC = 4;
const L_SHIFTS = 5;
const L_VALUES = 6;
const L_ACC_FINE = 7;

/** The query's second term carries its rounding remainder in units of 1/FINE of the first term's step. */
const FINE = 32_768;

/** i16 lane k holds the low-bit field at bit 2k of two low-bit bytes: multiplying by 2^(14 − 2k) lifts it to the top. */
const LOW_BIT_LIFT = [16384, 4096, 1024, 256, 64, 16, 4, 1];

/**
 * One group of 8 components: the values 4 × high + low as i16 lanes, then their pair sums with the query's two terms
 * added into the two accumulators.
 */
function groupBody(dimension: number, j0: number, first: boolean): number[] {
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
    ...asm.get(P_STAGE),
    ...asm.simdMem(Simd.v128Load8x8S, j0, 3),
    ...asm.i32(2),
    ...asm.simd(Simd.i16x8Shl),
    ...asm.get(P_STAGE),
    ...asm.simdMem(Simd.v128Load16Splat, dimension + j0 / 4, 1),
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

/** Body scoring `count` staged rows: per block an integer dot product, scaled in float32 by the block's scale. */
function rerankBody(dimension: number): number[] {
  const lo = Math.ceil(dimension / 4);
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
  ];
  for (let b = 0, start = 0; start < dimension; b++, start += BLOCK) {
    const end = Math.min(dimension, start + BLOCK);
    for (let j0 = start; j0 < end; j0 += 8) body.push(...groupBody(dimension, j0, j0 === start));
    const scaled = [
      ...asm.get(L_ACC),
      ...asm.simd(Simd.f32x4ConvertI32x4S),
      ...asm.get(L_ACC_FINE),
      ...asm.simd(Simd.f32x4ConvertI32x4S),
      ...asm.v128Const(f32x4Bytes(1 / FINE)),
      ...asm.simd(Simd.f32x4Mul),
      ...asm.simd(Simd.f32x4Add),
      ...asm.get(P_STAGE),
      ...asm.simdMem(Simd.v128Load32Splat, dimension + lo + 4 * b, 2),
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
    ...asm.get(P_STAGE),
    ...asm.i32(stagedStride(dimension)),
    Op.i32Add,
    ...asm.set(P_STAGE),
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

/** The bytes of a v128 constant with four lanes of `value` (float32, little-endian). */
function f32x4Bytes(value: number): number[] {
  const lanes = new Float32Array([value, value, value, value]);
  return [...new Uint8Array(lanes.buffer)];
}

/** Bytes between staged rows: the row as {@link QuantisedVectors.stage} writes it, rounded up to 16. */
function stagedStride(dimension: number): number {
  const bytes = dimension + Math.ceil(dimension / 4) + 4 * Math.ceil(dimension / BLOCK);
  return Math.ceil(bytes / 16) * 16;
}

/** The module bytes of the re-rank kernel for one dimension (a multiple of 8). */
export function rerankKernelBytes(dimension: number): Uint8Array {
  if (!Number.isInteger(dimension) || dimension < 8 || dimension % 8 !== 0)
    throw new Error('dimension must be a positive multiple of 8');
  return assembleModule([
    {
      name: 'rerank',
      params: 3,
      result: false,
      locals: [{ count: 5, type: V128 }],
      body: rerankBody(dimension),
    },
  ]);
}

const modules = new Map<number, WasmModule | null>();

function rerankModule(dimension: number): WasmModule | null {
  const cached = modules.get(dimension);
  if (cached !== undefined) return cached;
  const api = wasmApi();
  const bytes = dimension % 8 === 0 && dimension >= 8 ? rerankKernelBytes(dimension) : null;
  const module = bytes && api?.validate(bytes) ? new api.Module(bytes) : null;
  modules.set(dimension, module);
  return module;
}

const PAGE = 65_536;

/**
 * Scores re-rank candidates on their 10-bit vectors with WebAssembly SIMD: the candidates' rows are copied into
 * the kernel's memory, the query is split into two 16-bit integer terms (a step of 1/32767 of its largest component
 * and the rounding remainder in 1/32768 of that step), and each block of 64 components is a pair of integer dot
 * products scaled by the block's float32 scale. Scores match {@link QuantisedVectors.dot} to float32 rounding
 * (about 10⁻⁷), far under the 10-bit storage's own error of about 10⁻⁴.
 */
export class CompactRerank {
  private readonly stride: number;
  private readonly outAt: number;
  private readonly stageAt: number;
  private readonly memory: WasmMemory;
  private readonly kernel: (stage: number, count: number, out: number) => void;

  private constructor(
    readonly dimension: number,
    readonly capacity: number,
    module: WasmModule,
  ) {
    this.stride = stagedStride(dimension);
    this.outAt = Math.ceil((4 * dimension) / 16) * 16;
    this.stageAt = this.outAt + 16 * capacity;
    const api = wasmApi();
    if (!api) throw new Error('WebAssembly is not available');
    this.memory = new api.Memory({ initial: Math.ceil((this.stageAt + this.stride * capacity) / PAGE) });
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    this.kernel = instance.exports.rerank as (stage: number, count: number, out: number) => void;
  }

  /** A re-ranker for up to `capacity` rows per call, or null where the kernel is unavailable (then score in JS). */
  static create(dimension: number, capacity: number): CompactRerank | null {
    const module = rerankModule(dimension);
    return module ? new CompactRerank(dimension, Math.max(1, capacity), module) : null;
  }

  /** Bytes of its memory (query, output and staging area: fixed per index). */
  byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Writes the score of `query` against each of `slots` (up to {@link capacity}) to `out`. */
  score(vectors: QuantisedVectors, slots: Int32Array, query: Float32Array, out: Float32Array): void {
    const count = Math.min(slots.length, this.capacity);
    const buffer = this.memory.buffer;
    let max = 0;
    for (let j = 0; j < this.dimension; j++) max = Math.max(max, Math.abs(query[j] ?? 0));
    const step = max > 0 ? max / 32_767 : 0;
    const inverse = max > 0 ? 32_767 / max : 0;
    const coarse = new Int16Array(buffer, 0, this.dimension);
    const fine = new Int16Array(buffer, 2 * this.dimension, this.dimension);
    for (let j = 0; j < this.dimension; j++) {
      const x = (query[j] ?? 0) * inverse;
      const c = Math.round(x);
      coarse[j] = c;
      fine[j] = Math.round((x - c) * FINE);
    }
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < count; i++) vectors.stage(slots[i] ?? 0, bytes, this.stageAt + i * this.stride);
    this.kernel(this.stageAt, count, this.outAt);
    const lanes = new Float32Array(buffer, this.outAt, 4 * count);
    for (let i = 0; i < count; i++) {
      const o = 4 * i;
      out[i] = ((lanes[o] ?? 0) + (lanes[o + 1] ?? 0) + (lanes[o + 2] ?? 0) + (lanes[o + 3] ?? 0)) * step;
    }
  }
}
