import { randomBytes } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';
import { ARGON2ID_PARAMS, argon2idHasher, type PasswordHasher } from './password-hasher.js';

/**
 * {@link wasmPasswordHasher} with its module compiled: one cheap hash at start (a Lambda's init phase), so that the
 * first sign-in does not also block the event loop on the compilation.
 */
export async function loadWasmPasswordHasher(): Promise<PasswordHasher> {
  const salt = randomBytes(ARGON2ID_PARAMS.saltBytes);
  await argon2id({ password: 'warm-up', salt, iterations: 1, parallelism: 1, memorySize: 8, hashLength: 16 });
  return wasmPasswordHasher();
}

/**
 * Argon2id in WebAssembly (`hash-wasm`, no native binary): the same PHC strings as the native hasher, for
 * places its binary is not shipped (the Lambda bundle). It runs on the event loop (the native one on libuv's
 * pool): about a tenth to a quarter of a second per hash on one vCPU.
 */
export function wasmPasswordHasher(): PasswordHasher {
  return argon2idHasher('wasm', {
    hash: (password) =>
      argon2id({
        password,
        salt: randomBytes(ARGON2ID_PARAMS.saltBytes),
        iterations: ARGON2ID_PARAMS.passes,
        parallelism: ARGON2ID_PARAMS.lanes,
        memorySize: ARGON2ID_PARAMS.memoryKiB,
        hashLength: ARGON2ID_PARAMS.tagBytes,
        outputType: 'encoded',
      }),
    verify: (hash, password) => argon2Verify({ password, hash }),
  });
}
