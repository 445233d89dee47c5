import { hash, verify } from '@node-rs/argon2';
import { ARGON2ID_PARAMS, argon2idHasher, type PasswordHasher } from './password-hasher.js';

// Algorithm 2 = Argon2id (a const enum we cannot import).
const OPTIONS = {
  algorithm: 2,
  memoryCost: ARGON2ID_PARAMS.memoryKiB,
  timeCost: ARGON2ID_PARAMS.passes,
  parallelism: ARGON2ID_PARAMS.lanes,
  outputLen: ARGON2ID_PARAMS.tagBytes,
} as const;

/**
 * Argon2id by the native `@node-rs/argon2` (the server and CLI; its binary is per platform). Rejects where that
 * binary does not run: one cheap hash is tried first.
 */
export async function nativePasswordHasher(): Promise<PasswordHasher> {
  await hash('facegate-probe', { ...OPTIONS, memoryCost: 8, timeCost: 1 });
  return argon2idHasher('native', {
    hash: (password) => hash(password, OPTIONS),
    verify: (passwordHash, password) => verify(passwordHash, password),
  });
}
