import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyedBlobStore } from '../../../src/blobs/blob-store.port.js';
import { EncryptedBlobStore } from '../../../src/blobs/encrypted-blob-store.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { sha256Hex } from '../../../src/crypto/hash.js';
import { codeOf } from './store-fixtures.js';

/** One raw blob store under test, over its own empty storage, with a way around it. */
export interface BlobStoreUnderTest {
  blobs: KeyedBlobStore;
  /** The stored bytes of `key` read past the store, or undefined. */
  rawRead(key: string): Promise<Buffer | undefined>;
  /** Writes bytes where `key` is stored, past the store (tampering). */
  rawWrite(key: string, bytes: Uint8Array): Promise<void>;
  /** Leaves things beside the objects that are not objects (a partial write, a foreign file); returns their names. */
  addJunk(): Promise<string[]>;
  /** Every name in the storage, objects and anything else. */
  rawNames(): Promise<string[]>;
  dispose(): Promise<void>;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

const BAD_KEYS = ['../secret', '../../etc/passwd', 'A'.repeat(64), `${'a'.repeat(63)}/`, '', 'a'.repeat(65)];

/**
 * The behaviour every raw photo store must have (content addressing, idempotent atomic writes, absence, listing
 * only objects, key validation, in-place replace) and the encrypting decorator over it. Run by each adapter's spec.
 */
export function describeBlobContract(name: string, open: () => Promise<BlobStoreUnderTest>): void {
  let sut: BlobStoreUnderTest;
  describe(`${name} blob store contract`, () => {
    beforeEach(async () => {
      sut = await open();
    });
    afterEach(async () => {
      await sut.dispose();
    });

    it('stores content-addressed, reads back exactly (empty and multi-megabyte too), idempotently', async () => {
      const { blobs } = sut;
      const bytes = randomBytes(5000);
      const key = await blobs.put(bytes, 'image/jpeg');
      expect(key).toBe(sha256Hex(bytes));
      expect(Buffer.from((await blobs.get(key))!).equals(bytes)).toBe(true);
      const keys = await Promise.all(Array.from({ length: 8 }, () => blobs.put(bytes, 'image/jpeg')));
      expect(new Set(keys)).toEqual(new Set([key]));
      expect(await sut.rawNames()).toHaveLength(1);
      const big = randomBytes(6 * 1024 * 1024);
      expect(Buffer.from((await blobs.get(await blobs.put(big, 'image/png')))!).equals(big)).toBe(true);
      const empty = await blobs.put(new Uint8Array(0), 'application/octet-stream');
      expect(await blobs.get(empty)).toHaveLength(0);
      expect(await blobs.has(empty)).toBe(true);
    });

    it('answers absence: get undefined, has false, delete true once then false', async () => {
      const { blobs } = sut;
      const absent = sha256Hex('never stored');
      expect(await blobs.get(absent)).toBeUndefined();
      expect(await blobs.has(absent)).toBe(false);
      expect(await blobs.delete(absent)).toBe(false);
      const key = await blobs.put(Buffer.from('a'), 'x');
      expect(await blobs.has(key)).toBe(true);
      expect(await blobs.delete(key)).toBe(true);
      expect(await blobs.delete(key)).toBe(false);
      expect(await blobs.get(key)).toBeUndefined();
      expect(await sut.rawNames()).toEqual([]);
    });

    it('lists every object and nothing else, in key order', async () => {
      const { blobs } = sut;
      const keys = await Promise.all(['a', 'b', 'c', 'd'].map((s) => blobs.put(Buffer.from(s), 'x')));
      const junk = await sut.addJunk();
      expect(junk.length).toBeGreaterThan(0);
      expect(await collect(blobs.list())).toEqual([...keys].sort());
      await blobs.delete(keys[0]!);
      expect(await collect(blobs.list())).toEqual(keys.slice(1).sort());
    });

    it('refuses keys that are not 64 lowercase hex characters (no traversal)', async () => {
      const { blobs } = sut;
      for (const key of BAD_KEYS) {
        expect(await codeOf(blobs.get(key)), key).toBe('VALIDATION_FAILED');
        expect(await codeOf(blobs.has(key)), key).toBe('VALIDATION_FAILED');
        expect(await codeOf(blobs.delete(key)), key).toBe('VALIDATION_FAILED');
        expect(await codeOf(blobs.putAt(key, Buffer.from('x'))), key).toBe('VALIDATION_FAILED');
      }
      expect(await sut.rawNames()).toEqual([]);
    });

    it('putAt keeps an existing object; replace rewrites one in place and refuses an absent one', async () => {
      const { blobs } = sut;
      const key = sha256Hex('chosen');
      expect(await blobs.replace(key, Buffer.from('v0'))).toBe(false);
      expect(await blobs.has(key)).toBe(false);
      await blobs.putAt(key, Buffer.from('v1'));
      await blobs.putAt(key, Buffer.from('v2'));
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('v1');
      expect(await blobs.replace(key, Buffer.from('v3'))).toBe(true);
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('v3');
      expect(await collect(blobs.list())).toEqual([key]);
    });

    encryptedContract(() => sut);
  });
}

function encryptedContract(current: () => BlobStoreUnderTest): void {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const cipher = new DataCipher([k1]);

  it('encrypted: never stores the plaintext, dedupes equal photos, round-trips', async () => {
    const sut = current();
    const blobs = new EncryptedBlobStore(sut.blobs, cipher);
    const marker = Buffer.from('FACEGATE-PLAINTEXT-PHOTO-MARKER-0123456789');
    const photo = Buffer.concat([randomBytes(100), marker, randomBytes(100)]);
    const key = await blobs.put(photo, 'image/jpeg');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(sha256Hex(photo));
    expect(await blobs.put(photo, 'image/jpeg')).toBe(key);
    expect(Buffer.from((await blobs.get(key))!).equals(photo)).toBe(true);
    const raw = await sut.rawRead(key);
    expect(raw?.length).toBeGreaterThan(photo.length);
    expect(raw!.includes(marker.subarray(0, 16))).toBe(false);
    expect(await sut.rawNames()).toHaveLength(1);
    // The check can fail: the raw store keeps the marker as it is.
    const plainKey = await sut.blobs.put(photo, 'image/jpeg');
    expect((await sut.rawRead(plainKey))!.includes(marker)).toBe(true);
  });

  it('encrypted: an object moved to another key is refused; rotation keeps old objects readable and rewrites them', async () => {
    const sut = current();
    const blobs = new EncryptedBlobStore(sut.blobs, cipher);
    const a = await blobs.put(Buffer.from('photo A'), 'image/jpeg');
    const b = await blobs.put(Buffer.from('photo B'), 'image/jpeg');
    await sut.rawWrite(b, (await sut.rawRead(a))!);
    expect(await codeOf(blobs.get(b))).toBe('INTERNAL');
    const k2 = { id: 'k2', key: randomBytes(32) };
    const rotated = new EncryptedBlobStore(sut.blobs, new DataCipher([k2, k1]));
    expect(Buffer.from((await rotated.get(a))!).toString()).toBe('photo A');
    await sut.blobs.delete(b);
    const c = await blobs.put(Buffer.from('photo C'), 'image/jpeg');
    expect(await rotated.reencrypt()).toBe(2);
    expect(await rotated.reencrypt()).toBe(0);
    const onlyNew = new EncryptedBlobStore(sut.blobs, new DataCipher([k2]));
    expect(Buffer.from((await onlyNew.get(a))!).toString()).toBe('photo A');
    expect(Buffer.from((await onlyNew.get(c))!).toString()).toBe('photo C');
    expect(await rotated.delete(a)).toBe(true);
    expect(await collect(rotated.list())).toEqual([c]);
    expect(await sut.rawNames()).toHaveLength(1);
  });
}
