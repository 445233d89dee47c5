import { describe, expect, it } from 'vitest';
import { nativePasswordHasher } from './native-password-hasher.js';
import { ARGON2ID_PARAMS } from './password-hasher.js';
import { wasmPasswordHasher } from './wasm-password-hasher.js';

const { memoryKiB, passes, lanes } = ARGON2ID_PARAMS;
const PHC = new RegExp(
  `^\\$argon2id\\$v=19\\$m=${memoryKiB},t=${passes},p=${lanes}\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$`,
);
const password = 'correct horse battery staple';

describe('Argon2id hashers: native (@node-rs/argon2) and WebAssembly (hash-wasm)', () => {
  it('write the same PHC form with the same parameters (16-byte salt, 32-byte tag)', async () => {
    const native = await nativePasswordHasher();
    const wasm = wasmPasswordHasher();
    expect(native.kind).toBe('native');
    expect(wasm.kind).toBe('wasm');
    expect(await native.hash(password)).toMatch(PHC);
    expect(await wasm.hash(password)).toMatch(PHC);
  });

  it('a native hash (the CLI) verifies in WebAssembly (Lambda), and a wrong password is refused', async () => {
    const stored = await (await nativePasswordHasher()).hash(password);
    const wasm = wasmPasswordHasher();
    expect(await wasm.verify(stored, password)).toBe(true);
    expect(await wasm.verify(stored, `${password}!`)).toBe(false);
  });

  it('a WebAssembly hash (Lambda) verifies natively (the server), and a wrong password is refused', async () => {
    const stored = await wasmPasswordHasher().hash(password);
    const native = await nativePasswordHasher();
    expect(await native.verify(stored, password)).toBe(true);
    expect(await native.verify(stored, 'correct horse battery stapler')).toBe(false);
  });

  it('refuses without throwing: no hash (after spending the time) and a malformed one', async () => {
    for (const hasher of [wasmPasswordHasher(), await nativePasswordHasher()]) {
      expect(await hasher.verify(undefined, password)).toBe(false);
      expect(await hasher.verify('$argon2id$v=19$not-a-hash', password)).toBe(false);
      expect(await hasher.verify('', password)).toBe(false);
    }
  });
});
