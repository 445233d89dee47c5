import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOB_DIR, createBlobStore } from '../../../src/app/adapters.js';
import { FsBlobStore } from '../../../src/blobs/fs-blob-store.js';
import { loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { type BlobStoreUnderTest, describeBlobContract } from './blob-contract.js';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

/** A file store in a fresh temp directory. */
async function openFs(): Promise<BlobStoreUnderTest> {
  const root = await mkdtemp(join(tmpdir(), 'facegate-blobs-'));
  const blobs = new FsBlobStore(join(root, 'b'));
  return {
    blobs,
    rawRead: (key) => readFile(blobs.pathOf(key)).catch(() => undefined),
    async rawWrite(key, bytes) {
      await mkdir(dirname(blobs.pathOf(key)), { recursive: true });
      await writeFile(blobs.pathOf(key), bytes);
    },
    async addJunk() {
      const shard = join(blobs.root, 'ab', 'cd');
      await mkdir(shard, { recursive: true });
      const names = [join(shard, '.tmp-123-abc'), join(shard, 'README'), join(shard, 'f'.repeat(64))];
      for (const name of [...names, join(blobs.root, 'README')]) await writeFile(name, 'junk');
      return names;
    },
    rawNames: async () => (await walk(blobs.root)).map((p) => relative(blobs.root, p)),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

describeBlobContract('File system', openFs);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-blobs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FsBlobStore: files', () => {
  it('shards objects as ab/cd/<key>, owner-only, and prunes empty shards on delete', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    const bytes = randomBytes(5000);
    const key = await blobs.put(bytes, 'image/jpeg');
    const files = (await walk(join(dir, 'b'))).map((p) => relative(join(dir, 'b'), p));
    expect(files).toEqual([join(key.slice(0, 2), key.slice(2, 4), key)]);
    expect(((await stat(blobs.pathOf(key))).mode & 0o777).toString(8)).toBe('600');
    await blobs.delete(key);
    expect(await readdir(join(dir, 'b'))).toEqual([]);
  });

  it('sweeps stale temp files left by a crashed writer, never live ones', async () => {
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

  it('traversal keys never reach a file outside the root', async () => {
    const blobs = new FsBlobStore(join(dir, 'b'));
    await writeFile(join(dir, 'secret'), 'top secret');
    await blobs.get('../secret').catch(() => undefined);
    await blobs.delete('../secret').catch(() => undefined);
    expect(await readFile(join(dir, 'secret'), 'utf8')).toBe('top secret');
  });

  it('createBlobStore (FACEGATE_BLOBS=fs) writes encrypted files under <dataDir>/blobs', async () => {
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir });
    const blobs = await createBlobStore(config, new DataCipher([{ id: 'k1', key: randomBytes(32) }]));
    expect(blobs.kind).toBe('encrypted-fs');
    const photo = Buffer.from('FACEGATE-PLAINTEXT-PHOTO-MARKER');
    const key = await blobs.put(photo, 'image/jpeg');
    expect(key).not.toBe(sha256Hex(photo));
    const files = await walk(join(dir, BLOB_DIR));
    expect(files).toHaveLength(1);
    expect((await readFile(files[0]!)).includes(photo)).toBe(false);
  });
});
