import { asm, assembleModule, I32, I64, Op, Simd, V128, VOID } from './wasm-assembler.js';

/** Rows per block: one 128-bit vector holds one byte (two 4-bit codes) of 16 rows. */
export const BLOCK_ROWS = 16;

/** Largest memory of the kernel, in 64 KiB pages (4 GiB): a shared memory reserves it and grows in place. */
export const MAX_PAGES = 65_536;

// Parameters and locals of `select`.
const P_CODES = 0;
const P_LUT = 1;
const P_BLOCK = 2;
const P_END = 3;
const P_LAST_MASK = 4;
const P_HEAP = 5;
const P_K = 6;
const P_SCRATCH = 7;
const L_PTR = 8;
const L_COUNT = 9;
const L_MASK = 10;
const L_LANE = 11;
const L_I = 12;
const L_C = 13;
const L_KEY = 14;
const L_CKEY = 15;
const L_NKEY = 16;
/** Even rows (lanes 0..7 = rows 0, 2, .., 14) once {@link evenRows} ran. */
const L_ACC_WHOLE = 17;
/** Odd rows (lanes 0..7 = rows 1, 3, .., 15). */
const L_ACC_ODD = 18;
const L_SUM = 19;
const L_CODES = 20;
const L_THRESHOLD = 21;
const L_NIBBLE = 22;

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

/** Local indices of the heap insertion's variables (see {@link heapInsert}). */
interface HeapLocals {
  heap: number;
  k: number;
  count: number;
  i: number;
  c: number;
  key: number;
  ckey: number;
  nkey: number;
}

/**
 * Inserts `key` (already known to beat the root, the worst kept key) into the min-heap of `k` i64 keys at `heap`:
 * it replaces the root and sifts down. Counts the insertion.
 */
function heapInsert(l: HeapLocals): number[] {
  const entry = (index: number): number[] => [
    ...asm.get(l.heap),
    ...asm.get(index),
    ...asm.i32(3),
    Op.i32Shl,
    Op.i32Add,
  ];
  return [
    ...asm.i32(0),
    ...asm.set(l.i),
    Op.block,
    VOID,
    Op.loop,
    VOID,
    // c = 2i + 1; stop at the leaves
    ...asm.get(l.i),
    ...asm.i32(1),
    Op.i32Shl,
    ...asm.i32(1),
    Op.i32Add,
    ...asm.tee(l.c),
    ...asm.get(l.k),
    Op.i32GeU,
    Op.brIf,
    1,
    ...entry(l.c),
    ...asm.mem(Op.i64Load, 3),
    ...asm.set(l.ckey),
    // the smaller child
    ...asm.get(l.c),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.get(l.k),
    Op.i32LtU,
    Op.if,
    VOID,
    ...entry(l.c),
    ...asm.mem(Op.i64Load, 3, 8),
    ...asm.tee(l.nkey),
    ...asm.get(l.ckey),
    Op.i64LtS,
    Op.if,
    VOID,
    ...asm.get(l.nkey),
    ...asm.set(l.ckey),
    ...asm.get(l.c),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.set(l.c),
    Op.end,
    Op.end,
    ...asm.get(l.ckey),
    ...asm.get(l.key),
    Op.i64GeS,
    Op.brIf,
    1,
    ...entry(l.i),
    ...asm.get(l.ckey),
    ...asm.mem(Op.i64Store, 3),
    ...asm.get(l.c),
    ...asm.set(l.i),
    Op.br,
    0,
    Op.end,
    Op.end,
    ...entry(l.i),
    ...asm.get(l.key),
    ...asm.mem(Op.i64Store, 3),
    ...asm.get(l.count),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.set(l.count),
  ];
}

const SELECT_HEAP: HeapLocals = {
  heap: P_HEAP,
  k: P_K,
  count: L_COUNT,
  i: L_I,
  c: L_C,
  key: L_KEY,
  ckey: L_CKEY,
  nkey: L_NKEY,
};

/** The admission threshold: the score of the heap's worst key (−1 while it holds a sentinel), in every i16 lane. */
function loadThreshold(): number[] {
  return [
    ...asm.get(P_HEAP),
    ...asm.mem(Op.i64Load, 3),
    ...asm.i64(32),
    Op.i64ShrS,
    Op.i32WrapI64,
    ...asm.simd(Simd.i16x8Splat),
    ...asm.set(L_THRESHOLD),
  ];
}

/**
 * Offers every lane whose bit is set in the mask local to the heap, as the key (score << 32) | ~row: a higher
 * score wins, and among equal scores the lower row. Then raises the threshold to the heap's new worst score.
 */
function emitBody(): number[] {
  return [
    ...asm.get(P_SCRATCH),
    ...asm.get(L_ACC_WHOLE),
    ...asm.simdMem(Simd.v128Store, 0),
    ...asm.get(P_SCRATCH),
    ...asm.get(L_ACC_ODD),
    ...asm.simdMem(Simd.v128Store, 16),
    Op.loop,
    VOID,
    ...asm.get(L_MASK),
    Op.i32Ctz,
    ...asm.set(L_LANE),
    // score: the scratch u16 of the lane
    ...asm.get(P_SCRATCH),
    ...asm.get(L_LANE),
    ...asm.i32(1),
    Op.i32Shl,
    Op.i32Add,
    ...asm.mem(Op.i32Load16U, 1),
    Op.i64ExtendI32U,
    ...asm.i64(32),
    Op.i64Shl,
    // row: block * 16 + the lane's row (bits 0..7 are even rows, bits 8..15 odd rows), inverted
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
    ...asm.i32(-1),
    Op.i32Xor,
    Op.i64ExtendI32U,
    Op.i64Or,
    ...asm.tee(L_KEY),
    ...asm.get(P_HEAP),
    ...asm.mem(Op.i64Load, 3),
    Op.i64GtS,
    Op.if,
    VOID,
    ...heapInsert(SELECT_HEAP),
    Op.end,
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
    ...loadThreshold(),
  ];
}

/**
 * Body of `select(codes, lut, block, end, lastMask, heap, k, scratch) → insertions`, unrolled over `pairs` code
 * bytes per row. For blocks [block, end) of 16 rows it sums each row's u8 table entries (two per code byte) in u16
 * lanes, keeps the lanes scoring at least the heap's worst score (signed 16-bit compare; the last block's lanes
 * also masked by `lastMask`) and offers them to the heap, which takes those whose key beats its worst. A lane equal
 * to the worst score is offered too: its row may be lower than the worst key's (rows need not come in order), and
 * then it wins.
 */
function selectBody(pairs: number): number[] {
  const body: number[] = [
    ...loadThreshold(),
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
    ...asm.simd(Simd.i16x8GeS),
    ...asm.simd(Simd.i16x8Bitmask),
    ...asm.get(L_ACC_ODD),
    ...asm.get(L_THRESHOLD),
    ...asm.simd(Simd.i16x8GeS),
    ...asm.simd(Simd.i16x8Bitmask),
    ...asm.i32(8),
    Op.i32Shl,
    Op.i32Or,
    // the last block keeps only the lanes of `lastMask`
    ...asm.get(P_LAST_MASK),
    ...asm.i32(-1),
    ...asm.get(P_BLOCK),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.get(P_END),
    Op.i32Eq,
    Op.select,
    Op.i32And,
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

// Parameters and locals of `merge(heap, from, k)`.
const M_HEAP = 0;
const M_FROM = 1;
const M_K = 2;
const M_J = 3;
const M_COUNT = 4;
const M_I = 5;
const M_C = 6;
const M_KEY = 7;
const M_CKEY = 8;
const M_NKEY = 9;

/** Body of `merge(heap, from, k) → insertions`: offers the `k` keys of the heap at `from` to the heap at `heap`. */
function mergeBody(): number[] {
  return [
    Op.block,
    VOID,
    ...asm.get(M_K),
    Op.i32Eqz,
    Op.brIf,
    0,
    Op.loop,
    VOID,
    ...asm.get(M_FROM),
    ...asm.get(M_J),
    ...asm.i32(3),
    Op.i32Shl,
    Op.i32Add,
    ...asm.mem(Op.i64Load, 3),
    ...asm.tee(M_KEY),
    ...asm.get(M_HEAP),
    ...asm.mem(Op.i64Load, 3),
    Op.i64GtS,
    Op.if,
    VOID,
    ...heapInsert({
      heap: M_HEAP,
      k: M_K,
      count: M_COUNT,
      i: M_I,
      c: M_C,
      key: M_KEY,
      ckey: M_CKEY,
      nkey: M_NKEY,
    }),
    Op.end,
    ...asm.get(M_J),
    ...asm.i32(1),
    Op.i32Add,
    ...asm.tee(M_J),
    ...asm.get(M_K),
    Op.i32LtU,
    Op.brIf,
    0,
    Op.end,
    Op.end,
    ...asm.get(M_COUNT),
  ];
}

/** The module bytes of the select kernel for `pairs` code bytes per row, on a shared memory. */
export function selectKernelBytes(pairs: number): Uint8Array {
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error('pairs must be a positive integer');
  return assembleModule(
    [
      {
        name: 'select',
        params: 8,
        result: true,
        locals: [
          { count: 6, type: I32 },
          { count: 3, type: I64 },
          { count: 6, type: V128 },
        ],
        body: selectBody(pairs),
      },
      {
        name: 'merge',
        params: 3,
        result: true,
        locals: [
          { count: 4, type: I32 },
          { count: 3, type: I64 },
        ],
        body: mergeBody(),
      },
    ],
    { maximumPages: MAX_PAGES, shared: true },
  );
}

/** Signature of the exported `select`; pointers are byte offsets in the kernel's memory. */
export type SelectKernel = (
  codes: number,
  lut: number,
  block: number,
  end: number,
  lastMask: number,
  heap: number,
  k: number,
  scratch: number,
) => number;

/** Signature of the exported `merge`. */
export type MergeKernel = (heap: number, from: number, k: number) => number;

/** The parts of the WebAssembly JavaScript API used here (the project's type libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
/** A compiled module (opaque). */
export type WasmModule = { readonly compiledWasm: unique symbol };
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The runtime's WebAssembly API, or null when it has none. */
export function wasmApi(): WasmApi | null {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

const modules = new Map<number, WasmModule | null>();

/**
 * The compiled kernel module for `pairs`, or null where WebAssembly SIMD or shared memories are not available (the
 * TypeScript reference is then used). Compiled synchronously once per pair count.
 */
export function selectKernelModule(pairs: number): WasmModule | null {
  const cached = modules.get(pairs);
  if (cached !== undefined) return cached;
  const api = wasmApi();
  const bytes = selectKernelBytes(pairs);
  const module = api?.validate(bytes) ? new api.Module(bytes) : null;
  modules.set(pairs, module);
  return module;
}

/** A new shared memory of `pages` 64 KiB pages for the kernel (it grows in place up to {@link MAX_PAGES}). */
export function sharedKernelMemory(pages: number): WasmMemory {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  return new api.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

/** The kernel's functions, instantiated on `memory` (any thread may instantiate the module on the same memory). */
export function instantiateSelectKernel(
  module: WasmModule,
  memory: WasmMemory,
): { select: SelectKernel; merge: MergeKernel } {
  const api = wasmApi();
  if (!api) throw new Error('WebAssembly is not available');
  const instance = new api.Instance(module, { env: { memory } });
  return { select: instance.exports.select as SelectKernel, merge: instance.exports.merge as MergeKernel };
}

/** The mask of a block's lanes (bits 0..7: even rows, 8..15: odd rows) for its first `rows` rows (1..16). */
export function laneMask(rows: number): number {
  let mask = 0;
  for (let r = 0; r < Math.min(rows, BLOCK_ROWS); r++) mask |= 1 << ((r & 1) * 8 + (r >> 1));
  return mask;
}

/**
 * A min-heap of i64 keys as the kernel keeps them, seen as i32 words: `words[2j]` is the low word (the row,
 * inverted), `words[2j + 1]` the high word (the score; −1 for an empty entry).
 */
function keyGreater(hiA: number, loA: number, hiB: number, loB: number): boolean {
  return hiA > hiB || (hiA === hiB && loA >>> 0 > loB >>> 0);
}

function heapInsertReference(words: Int32Array, at: number, k: number, hi: number, lo: number): void {
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= k) break;
    let cHi = words[at + 2 * c + 1] ?? 0;
    let cLo = words[at + 2 * c] ?? 0;
    if (c + 1 < k) {
      const nHi = words[at + 2 * c + 3] ?? 0;
      const nLo = words[at + 2 * c + 2] ?? 0;
      if (keyGreater(cHi, cLo, nHi, nLo)) {
        c++;
        cHi = nHi;
        cLo = nLo;
      }
    }
    if (!keyGreater(hi, lo, cHi, cLo)) break;
    words[at + 2 * i + 1] = cHi;
    words[at + 2 * i] = cLo;
    i = c;
  }
  words[at + 2 * i + 1] = hi;
  words[at + 2 * i] = lo;
}

/**
 * The TypeScript equivalent of `select` over the same memory layout (`words` and `bytes` view the same memory;
 * `heap`, `lut` and `codes` are byte offsets): the reference the kernel is tested against, and the scan where
 * WebAssembly SIMD is missing. Mirrors the kernel's arithmetic (u8 pair sums, u16 accumulators, signed 16-bit
 * compare with the heap's worst score as it stood at the start of each block) and its order of offers.
 */
export function selectReference(
  bytes: Uint8Array,
  words: Int32Array,
  pairs: number,
  codes: number,
  lut: number,
  block: number,
  end: number,
  lastMask: number,
  heap: number,
  k: number,
): number {
  const at = heap >> 2;
  const stride = pairs * 16;
  let count = 0;
  const acc = new Int32Array(BLOCK_ROWS);
  for (let b = block; b < end; b++) {
    const threshold = words[at + 1] ?? 0;
    const base = codes + b * stride;
    let mask = 0;
    for (let r = 0; r < BLOCK_ROWS; r++) {
      let sum = 0;
      for (let p = 0, o = base + r; p < pairs; p++, o += 16) {
        const byte = bytes[o] ?? 0;
        const t = lut + p * 32;
        sum = (sum + (((bytes[t + (byte & 15)] ?? 0) + (bytes[t + 16 + (byte >>> 4)] ?? 0)) & 255)) & 0xffff;
      }
      acc[r] = sum;
      if ((sum << 16) >> 16 >= threshold) mask |= 1 << ((r & 1) * 8 + (r >> 1));
    }
    if (b + 1 === end) mask &= lastMask;
    // The kernel's order within a block: even rows, then odd rows.
    for (; mask !== 0; mask &= mask - 1) {
      const lane = 31 - Math.clz32(mask & -mask);
      const row = b * BLOCK_ROWS + ((lane & 7) << 1) + (lane >> 3);
      const hi = acc[row - b * BLOCK_ROWS] ?? 0;
      const lo = ~row;
      if (keyGreater(hi, lo, words[at + 1] ?? 0, words[at] ?? 0)) {
        heapInsertReference(words, at, k, hi, lo);
        count++;
      }
    }
  }
  return count;
}

/** The TypeScript equivalent of `merge`. */
export function mergeReference(words: Int32Array, heap: number, from: number, k: number): number {
  const at = heap >> 2;
  const src = from >> 2;
  let count = 0;
  for (let j = 0; j < k; j++) {
    const hi = words[src + 2 * j + 1] ?? 0;
    const lo = words[src + 2 * j] ?? 0;
    if (keyGreater(hi, lo, words[at + 1] ?? 0, words[at] ?? 0)) {
      heapInsertReference(words, at, k, hi, lo);
      count++;
    }
  }
  return count;
}
