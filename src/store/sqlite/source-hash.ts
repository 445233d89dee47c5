import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';

/**
 * How a template's photo digest (`FaceTemplate.sourceHash`, the sha256 hex of the photo) is kept at rest.
 *
 * A plain sha256 in the database would let anyone holding a copy of it confirm that a given photo is enrolled.
 * So `source_hash` holds HMAC-SHA256 of the digest under the data-key subkey `source-hash` (the column
 * enrollment looks photos up by), and `source_digest_enc` the digest itself, encrypted like the embedding.
 * The keyed hash is always made with the key that encrypted the digest: re-encryption after a key rotation
 * decrypts the digest and recomputes the hash under the new key, and lookups try every configured key, so
 * idempotent enrollment keeps working before, during and after a rotation.
 */
export const SOURCE_HASH_PURPOSE = 'source-hash';

/** The stored columns of one template's photo digest. */
export interface SealedSourceHash {
  /** `source_hash`: keyed hash of the digest under the current key. */
  hash: string;
  /** `source_digest_enc`: the digest, encrypted under the current key and bound to the template. */
  digestEnc: Uint8Array;
}

/** Additional authenticated data binding an encrypted digest to its template row (id and owner). */
function digestAad(templateId: string, employeeId: string): string {
  return `facegate:template-source:${templateId}:${employeeId}`;
}

/** Keyed hash of a digest under the current key. */
export function keyedSourceHash(cipher: DataCipher, digest: string): string {
  return cipher.keyedHash(Buffer.from(digest, 'utf8'), SOURCE_HASH_PURPOSE);
}

/** Every value `source_hash` can hold for this digest: its keyed hash under each configured key. */
export function sourceHashCandidates(cipher: DataCipher, digest: string): string[] {
  return cipher.keyedHashes(Buffer.from(digest, 'utf8'), SOURCE_HASH_PURPOSE);
}

/** Both stored columns of a digest, under the current key. */
export function sealSourceHash(
  cipher: DataCipher,
  templateId: string,
  employeeId: string,
  digest: string,
): SealedSourceHash {
  return {
    hash: keyedSourceHash(cipher, digest),
    digestEnc: cipher.encrypt(Buffer.from(digest, 'utf8'), digestAad(templateId, employeeId)),
  };
}

/** The digest of a stored row; throws `INTERNAL` when it is missing or was tampered with. */
export function openSourceDigest(
  cipher: DataCipher,
  row: { id: string; employee_id: string; source_digest_enc: Uint8Array | null },
): string {
  if (!row.source_digest_enc) {
    throw new FacegateError('INTERNAL', 'Face template has no encrypted source digest', { id: row.id });
  }
  return Buffer.from(cipher.decrypt(row.source_digest_enc, digestAad(row.id, row.employee_id))).toString(
    'utf8',
  );
}
