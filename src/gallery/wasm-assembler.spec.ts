import { describe, expect, it } from 'vitest';
import { wasmApi } from './fast-scan-kernel.js';
import { asm, assembleModule, I32, Op, sleb, uleb } from './wasm-assembler.js';

describe('wasm assembler', () => {
  it('encodes LEB128 as the binary format does', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624_485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123_456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('writes a module that compiles and runs', () => {
    const bytes = assembleModule([
      {
        name: 'addStore',
        params: 2,
        result: true,
        locals: [{ count: 1, type: I32 }],
        // memory[0] = a + b; return memory[0] * 3
        body: [
          ...asm.i32(0),
          ...asm.get(0),
          ...asm.get(1),
          Op.i32Add,
          ...asm.mem(Op.i32Store, 2),
          ...asm.i32(0),
          ...asm.mem(Op.i32Load, 2),
          ...asm.i32(3),
          Op.i32Mul,
        ],
      },
    ]);
    const api = wasmApi();
    if (!api) throw new Error('WebAssembly expected');
    expect(api.validate(bytes)).toBe(true);
    const memory = new api.Memory({ initial: 1 });
    const instance = new api.Instance(new api.Module(bytes), { env: { memory } });
    const addStore = instance.exports.addStore as (a: number, b: number) => number;
    expect(addStore(40, -2)).toBe(114);
    expect(new Int32Array(memory.buffer, 0, 1)[0]).toBe(38);
  });

  it('imports a shared memory when asked, which a plain memory cannot satisfy', () => {
    const bytes = assembleModule(
      [
        {
          name: 'load',
          params: 1,
          result: true,
          locals: [],
          body: [...asm.get(0), ...asm.mem(Op.i32Load, 2)],
        },
      ],
      { maximumPages: 4, shared: true },
    );
    const api = wasmApi();
    if (!api) throw new Error('WebAssembly expected');
    const module = new api.Module(bytes);
    const memory = new api.Memory({ initial: 1, maximum: 4, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    new Int32Array(memory.buffer)[2] = 42;
    const load = new api.Instance(module, { env: { memory } }).exports.load as (at: number) => number;
    expect(load(8)).toBe(42);
    expect(() => new api.Instance(module, { env: { memory: new api.Memory({ initial: 1 }) } })).toThrow();
  });
});
