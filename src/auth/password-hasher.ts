import { hash, verify } from '@node-rs/argon2';
import { FacegateError } from '../domain/errors.js';

// OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. Algorithm 2 = Argon2id (a const enum we cannot import).
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Shortest password accepted (NIST SP 800-63B-4 asks ≥ 15 for single-factor; 12 is our floor with lockout). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted, to bound hashing cost. */
export const MAX_PASSWORD_LENGTH = 256;

let dummyHash: Promise<string> | undefined;

/** Throws `VALIDATION_FAILED` when the password breaks the length policy or is trivially weak. */
export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new FacegateError(
      'VALIDATION_FAILED',
      `Password must have between ${MIN_PASSWORD_LENGTH} and ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
  if (new Set(password).size < 4) {
    throw new FacegateError('VALIDATION_FAILED', 'Password is too repetitive');
  }
}

/** Hashes a password with Argon2id (PHC string with salt and parameters). */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/**
 * Verifies a password against a PHC hash. With `undefined` it still spends the same time on a dummy hash,
 * so that unknown usernames cannot be told apart by timing.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    dummyHash ??= hash('facegate-dummy-password', OPTIONS);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
