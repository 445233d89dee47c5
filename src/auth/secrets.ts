import { randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes as base64url (no padding). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Bearer secrets are stored as their sha256 hex, never kept. */
export { sha256Hex } from '../crypto/hash.js';

/** Constant-time equality of two hex/ASCII strings. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
