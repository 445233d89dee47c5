import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../crypto/hash.js';
import { FacegateError } from '../domain/errors.js';
import type { BlobStore } from './blob-store.port.js';

const KEY = /^[0-9a-f]{64}$/;
const SHARD = /^[0-9a-f]{2}$/;
const TEMP_PREFIX = '.tmp-';

/** Throws `VALIDATION_FAILED` unless `key` is 64 lowercase hex characters (so it can never escape the root). */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new FacegateError('VALIDATION_FAILED', 'Invalid blob key');
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** The result of `op`, or `missing` when it failed because the file does not exist. */
async function unlessMissing<T>(op: Promise<T>, missing: T): Promise<T> {
  try {
    return await op;
  } catch (error) {
    if (isMissing(error)) return missing;
    throw error;
  }
}

/**
 * Content-addressed files under `root/ab/cd/<key>`. Writes go to a dot-prefixed temp file in the target directory,
 * are fsynced, then renamed into place (and the directory fsynced), so a crash leaves either the whole object or a
 * temp file that is never listed as an object and is swept by {@link FsBlobStore.removeStaleTempFiles}.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs';

  constructor(readonly root: string) {}

  /** Absolute path of the object `key` (validated). */
  pathOf(key: string): string {
    return join(this.shardOf(key), key);
  }

  /** The directory holding the object `key` (validated). */
  private shardOf(key: string): string {
    assertBlobKey(key);
    return join(this.root, key.slice(0, 2), key.slice(2, 4));
  }

  /** Stores bytes under their sha256; an existing object with that key is kept as it is. */
  async put(bytes: Uint8Array, _contentType: string): Promise<string> {
    const key = sha256Hex(bytes);
    await this.putAt(key, bytes);
    return key;
  }

  /**
   * Stores bytes under a caller-chosen key (used by the encrypting decorator, whose keys are keyed hashes of the
   * plaintext). Idempotent: when the object exists it is left untouched.
   */
  async putAt(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    if (await this.has(key)) return;
    const dir = this.shardOf(key);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writeAtomic(dir, path, bytes);
        return;
      } catch (error) {
        // A concurrent delete may prune the shard directory between mkdir and open: retry once.
        if (!isMissing(error) || attempt > 0) throw error;
      }
    }
  }

  /** Atomically replaces the bytes of an existing object (key rotation); false when it is absent. */
  async replace(key: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.pathOf(key);
    if (!(await this.has(key))) return false;
    await this.writeAtomic(this.shardOf(key), path, bytes);
    return true;
  }

  private async writeAtomic(dir: string, path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDir(dir);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const buf = await unlessMissing(readFile(this.pathOf(key)), undefined);
    return buf && new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async has(key: string): Promise<boolean> {
    return unlessMissing(
      stat(this.pathOf(key)).then((info) => info.isFile()),
      false,
    );
  }

  async delete(key: string): Promise<boolean> {
    const shard = this.shardOf(key);
    if (
      !(await unlessMissing(
        unlink(join(shard, key)).then(() => true),
        false,
      ))
    )
      return false;
    await syncDir(shard);
    // Prune empty shard directories; rmdir refuses non-empty ones, which is what we want.
    await rmdir(shard).catch(() => undefined);
    await rmdir(join(this.root, key.slice(0, 2))).catch(() => undefined);
    return true;
  }

  async *list(): AsyncIterable<string> {
    for await (const { prefix, dir } of this.shards()) {
      for (const name of await listDir(dir)) {
        if (KEY.test(name) && name.startsWith(prefix)) yield name;
      }
    }
  }

  /** Deletes temp files left by crashed writers, older than `maxAgeMs`; returns how many were removed. */
  async removeStaleTempFiles(maxAgeMs = 60 * 60 * 1000): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - maxAgeMs;
    for await (const { dir } of this.shards()) {
      for (const name of await listDir(dir)) {
        if (!name.startsWith(TEMP_PREFIX)) continue;
        const path = join(dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info && info.mtimeMs <= cutoff) {
          await rm(path, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  /** Every `root/ab/cd` shard directory, in order, with the key prefix `abcd` its objects share. */
  private async *shards(): AsyncIterable<{ prefix: string; dir: string }> {
    for (const a of await listDir(this.root)) {
      if (!SHARD.test(a)) continue;
      for (const b of await listDir(join(this.root, a))) {
        if (SHARD.test(b)) yield { prefix: a + b, dir: join(this.root, a, b) };
      }
    }
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle.close();
  }
}
