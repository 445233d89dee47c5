import type { DataCipher } from '../crypto/data-cipher.js';
import type { BlobStore, KeyedBlobStore } from './blob-store.port.js';
import { assertBlobKey } from './fs-blob-store.js';

/** Additional authenticated data binding an encrypted object to its key (files cannot be swapped). */
function blobAad(key: string): string {
  return `facegate:blob:${key}`;
}

/**
 * Encrypts objects with the data cipher before they reach the raw store (files or S3).
 *
 * The key is HMAC-SHA256 of the plaintext under a subkey of the current data key, not sha256 of the ciphertext:
 * the IV is random, so a ciphertext hash would store equal photos twice and break idempotent imports, and a plain
 * sha256 of the photo would let anyone holding a copy of a photo confirm it is stored. Equal photos therefore dedupe
 * (until the current key is rotated; older objects stay readable through the key id in their envelope).
 */
export class EncryptedBlobStore implements BlobStore {
  readonly kind: string;

  constructor(
    private readonly inner: KeyedBlobStore,
    private readonly cipher: DataCipher,
  ) {
    this.kind = `encrypted-${inner.kind}`;
  }

  async put(bytes: Uint8Array, _contentType: string): Promise<string> {
    const key = this.cipher.keyedHash(bytes, 'blob-key');
    if (await this.inner.has(key)) return key;
    await this.inner.putAt(key, this.cipher.encrypt(bytes, blobAad(key)));
    return key;
  }

  /** Decrypted bytes; throws `INTERNAL` when the stored object was tampered with or moved. */
  async get(key: string): Promise<Uint8Array | undefined> {
    assertBlobKey(key);
    const stored = await this.inner.get(key);
    return stored && this.cipher.decrypt(stored, blobAad(key));
  }

  /**
   * Re-encrypts every object not under the current data key, in place (same key: it is only an address);
   * returns how many were rewritten. After it, retired keys are no longer needed for photos.
   */
  async reencrypt(): Promise<number> {
    let rewritten = 0;
    for await (const key of this.inner.list()) {
      const stored = await this.inner.get(key);
      if (!stored || !this.cipher.needsRotation(stored)) continue;
      if (await this.inner.replace(key, this.cipher.rotate(stored, blobAad(key)))) rewritten++;
    }
    return rewritten;
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }

  delete(key: string): Promise<boolean> {
    return this.inner.delete(key);
  }

  list(): AsyncIterable<string> {
    return this.inner.list();
  }
}
