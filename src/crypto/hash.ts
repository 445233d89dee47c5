import { createHash } from 'node:crypto';

/** sha256 hex of bytes or of a UTF-8 string (photo idempotency keys, blob keys, stored secret hashes). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
