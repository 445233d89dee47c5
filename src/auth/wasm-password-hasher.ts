import { randomBytes } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';
import { ARGON2ID_PARAMS, argon2idHasher, type PasswordHasher } from './password-hasher.js';

/**
 * Argon2id in WebAssembly (`hash-wasm`, no native binary): the same PHC strings as the native hasher, for
 * places its binary is not shipped (the Lambda bundle).
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
