import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOB_DIR, createBlobStore } from '../../../src/app/adapters.js';
import { EncryptedBlobStore } from '../../../src/blobs/encrypted-blob-store.js';
import { FsBlobStore } from '../../../src/blobs/fs-blob-store.js';
import { loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { isFacegateError } from '../../../src/domain/errors.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isFacegateError(error) ? error.code : 'other';
  }
  return undefined;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-blobs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FsBlobStore', () => {
  it('stores content-addressed, sharded, atomically (no temp files left), idempotently', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    const bytes = randomBytes(5000);
    const key = await blobs.put(bytes, 'image/jpeg');
    expect(key).toBe(sha256Hex(bytes));
    const files = (await walk(join(dir, 'b'))).map((p) => relative(join(dir, 'b'), p));
    expect(files).toEqual([join(key.slice(0, 2), key.slice(2, 4), key)]);
    expect(Buffer.from((await blobs.get(key))!).equals(bytes)).toBe(true);
    expect(await blobs.put(bytes, 'image/jpeg')).toBe(key);
    const keys = await Promise.all(Array.from({ length: 8 }, () => blobs.put(bytes, 'image/jpeg')));
    expect(new Set(keys)).toEqual(new Set([key]));
    expect(await walk(join(dir, 'b'))).toHaveLength(1);
    expect(((await stat(blobs.pathOf(key))).mode & 0o777).toString(8)).toBe('600');
  });

  it('lists only objects (never temp files or junk), deletes and prunes empty shards', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    const a = await blobs.put(Buffer.from('a'), 'x');
    const b = await blobs.put(Buffer.from('b'), 'x');
    const shard = join(dir, 'b', a.slice(0, 2), a.slice(2, 4));
    await writeFile(join(shard, '.tmp-123-abc'), 'partial');
    await writeFile(join(shard, 'README'), 'junk');
    expect((await collect(blobs.list())).sort()).toEqual([a, b].sort());
    expect(await blobs.has(a)).toBe(true);
    expect(await blobs.delete(a)).toBe(true);
    expect(await blobs.delete(a)).toBe(false);
    expect(await blobs.get(a)).toBeUndefined();
    expect(await collect(blobs.list())).toEqual([b]);
    await blobs.delete(b);
    expect(await collect(blobs.list())).toEqual([]);
  });

  it('sweeps stale temp files left by a crashed writer', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    const key = await blobs.put(Buffer.from('x'), 'x');
    const shard = join(dir, 'b', key.slice(0, 2), key.slice(2, 4));
    const temp = join(shard, '.tmp-999-dead');
    await writeFile(temp, 'half a photo');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(temp, old, old);
    await writeFile(join(shard, '.tmp-999-live'), 'being written');
    expect(await blobs.removeStaleTempFiles()).toBe(1);
    expect((await readdir(shard)).sort()).toEqual(['.tmp-999-live', key]);
  });

  it('refuses keys that are not 64 hex characters (no traversal)', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    await writeFile(join(dir, 'secret'), 'top secret');
    for (const key of [
      '../secret',
      '../../etc/passwd',
      'A'.repeat(64),
      `${'a'.repeat(63)}/`,
      '',
      'a'.repeat(65),
    ]) {
      expect(await codeOf(blobs.get(key)), key).toBe('VALIDATION_FAILED');
      expect(await codeOf(blobs.delete(key)), key).toBe('VALIDATION_FAILED');
      expect(await codeOf(blobs.has(key)), key).toBe('VALIDATION_FAILED');
    }
    expect(await readFile(join(dir, 'secret'), 'utf8')).toBe('top secret');
  });
});

describe('EncryptedBlobStore', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const cipher = new DataCipher([k1]);

  it('never writes the plaintext, dedupes equal photos, round-trips', async () => {
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir });
    const blobs = await createBlobStore(config, cipher);
    const marker = Buffer.from('FACEGATE-PLAINTEXT-PHOTO-MARKER-0123456789');
    const photo = Buffer.concat([randomBytes(100), marker, randomBytes(100)]);
    const key = await blobs.put(photo, 'image/jpeg');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(sha256Hex(photo));
    expect(await blobs.put(photo, 'image/jpeg')).toBe(key);
    expect(Buffer.from((await blobs.get(key))!).equals(photo)).toBe(true);
    const files = await walk(join(dir, BLOB_DIR));
    expect(files).toHaveLength(1);
    const raw = await readFile(files[0]!);
    expect(raw.includes(marker)).toBe(false);
    expect(raw.includes(marker.subarray(0, 16))).toBe(false);
    // The check can fail: a plain store writes the marker as it is.
    const plain = new FsBlobStore(join(dir, 'plain'));
    const plainKey = await plain.put(photo, 'image/jpeg');
    expect((await readFile(plain.pathOf(plainKey))).includes(marker)).toBe(true);
  });

  it('detects a file moved to another key, and reads old objects after key rotation', async () => {
    const files = new FsBlobStore(join(dir, 'b'));
    const blobs = new EncryptedBlobStore(files, cipher);
    const a = await blobs.put(Buffer.from('photo A'), 'image/jpeg');
    const b = await blobs.put(Buffer.from('photo B'), 'image/jpeg');
    await writeFile(files.pathOf(b), await readFile(files.pathOf(a)));
    expect(await codeOf(blobs.get(b))).toBe('INTERNAL');
    const k2 = { id: 'k2', key: randomBytes(32) };
    const rotated = new EncryptedBlobStore(files, new DataCipher([k2, k1]));
    expect(Buffer.from((await rotated.get(a))!).toString()).toBe('photo A');
    await files.delete(b);
    const c = await blobs.put(Buffer.from('photo C'), 'image/jpeg');
    expect(await rotated.reencrypt()).toBe(2);
    expect(await rotated.reencrypt()).toBe(0);
    const onlyNew = new EncryptedBlobStore(files, new DataCipher([k2]));
    expect(Buffer.from((await onlyNew.get(a))!).toString()).toBe('photo A');
    expect(Buffer.from((await onlyNew.get(c))!).toString()).toBe('photo C');
    expect(await rotated.delete(a)).toBe(true);
    expect(await collect(rotated.list())).toEqual([c]);
    expect(await walk(join(dir, 'b'))).toHaveLength(1);
  });
});
