import { FacegateError } from '../domain/errors.js';

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane; a 16-byte salt and a 32-byte tag (the PHC defaults). */
export const ARGON2ID_PARAMS = {
  memoryKiB: 19_456,
  passes: 2,
  lanes: 1,
  saltBytes: 16,
  tagBytes: 32,
} as const;

/** Shortest password accepted (NIST SP 800-63B-4 asks ≥ 15 for single-factor; 12 is our floor with lockout). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted, to bound hashing cost. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * The password-hashing port: Argon2id as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). Every
 * implementation reads the strings of the others, so a hash made by the CLI verifies on Lambda and back.
 */
export interface PasswordHasher {
  /** Which implementation this is (`native` or `wasm`), for the startup report and tests. */
  readonly kind: string;
  /** Hashes a password with Argon2id (PHC string with salt and parameters). */
  hash(password: string): Promise<string>;
  /**
   * Verifies a password against a PHC hash; false for a malformed hash. With `undefined` it still spends the
   * time of one verification, so that unknown usernames cannot be told apart by timing.
   */
  verify(passwordHash: string | undefined, password: string): Promise<boolean>;
}

/** The two primitives an Argon2id library gives; {@link argon2idHasher} adds the dummy hash and error handling. */
export interface Argon2idPrimitives {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

/** A {@link PasswordHasher} over one library's primitives. */
export function argon2idHasher(kind: string, primitives: Argon2idPrimitives): PasswordHasher {
  let dummyHash: Promise<string> | undefined;
  const verify = async (passwordHash: string, password: string) => {
    try {
      return await primitives.verify(passwordHash, password);
    } catch {
      return false;
    }
  };
  return {
    kind,
    hash: (password) => primitives.hash(password),
    async verify(passwordHash, password) {
      if (passwordHash !== undefined) return verify(passwordHash, password);
      dummyHash ??= primitives.hash('facegate-dummy-password');
      await verify(await dummyHash, password);
      return false;
    },
  };
}

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
