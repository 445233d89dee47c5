import { createPrivateKey } from 'node:crypto';
import { at, required } from '../util/checked-access.js';

/**
 * The entropy rule for secret keys and seeds (data keys, the Ed25519 token-signing seed).
 *
 * A key of n bytes is refused when it has fewer than min(16, n/2) distinct byte values, or fewer than that many
 * distinct differences between neighbouring bytes (mod 256). The first catches all-zero keys, a repeated byte and
 * any pattern with a short period; the second catches counting and stepping patterns (00 01 02 …) that use many
 * distinct bytes. 32 random bytes hold about 30 distinct values and 30 distinct differences; the chance that a
 * truly random 32-byte key is refused is below 10⁻¹⁵.
 */
export const KEY_STRENGTH_RULE =
  'at least 16 distinct byte values and 16 distinct steps between neighbouring bytes (generate it randomly)';

function distinct(values: Iterable<number>): number {
  return new Set(values).size;
}

/** Why `key` looks hand-made rather than random, or undefined when it passes the entropy rule. */
export function weakKeyReason(key: Uint8Array): string | undefined {
  if (key.length === 0) return 'is empty';
  const needed = Math.min(16, Math.floor(key.length / 2));
  const first = key[0];
  if (key.every((b) => b === first))
    return `is one byte (0x${required(first, 'first').toString(16).padStart(2, '0')}) repeated`;
  const values = distinct(key);
  if (values < needed) return `has only ${values} distinct byte values (a short repeating pattern)`;
  const steps = distinct(key.subarray(1).map((b, i) => (b - at(key, i) + 256) % 256));
  if (steps < needed) return `follows a simple pattern (only ${steps} distinct steps between bytes)`;
  return undefined;
}

/**
 * The 32-byte seed of an Ed25519 private key given as PKCS8 PEM (literal `\n` allowed) or JWK; undefined when the
 * value is not a readable Ed25519 private key (the token service reports that itself).
 */
export function ed25519Seed(value: string): Uint8Array | undefined {
  const text = value.trim();
  try {
    const key = text.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(text) as never, format: 'jwk' })
      : createPrivateKey(text.replace(/\\n/g, '\n'));
    if (key.asymmetricKeyType !== 'ed25519') return undefined;
    const { d } = key.export({ format: 'jwk' });
    return d === undefined ? undefined : new Uint8Array(Buffer.from(d, 'base64url'));
  } catch {
    return undefined;
  }
}
