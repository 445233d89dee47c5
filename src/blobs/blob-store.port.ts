/** Photo storage. Keys are content-addressed (sha256 of the stored bytes) and safe as path segments. */
export interface BlobStore {
  readonly kind: string;
  /** Stores bytes atomically (never a partial object) and returns the key. Idempotent for equal bytes. */
  put(bytes: Uint8Array, contentType: string): Promise<string>;
  /** Returns the bytes, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  has(key: string): Promise<boolean>;
  /** Removes the object; returns false when it was absent. */
  delete(key: string): Promise<boolean>;
  /** Every key, for orphan sweeping and erasure checks. */
  list(): AsyncIterable<string>;
}

/**
 * A raw object store that the encrypting decorator (`EncryptedBlobStore`) writes through: besides the port, it
 * stores bytes at a caller-chosen key and replaces an object in place (key rotation). Files and S3 implement it.
 */
export interface KeyedBlobStore extends BlobStore {
  /** Stores bytes under `key` atomically; an existing object with that key is left untouched. */
  putAt(key: string, bytes: Uint8Array): Promise<void>;
  /** Atomically replaces the bytes of an existing object; false when it is absent. */
  replace(key: string, bytes: Uint8Array): Promise<boolean>;
}
