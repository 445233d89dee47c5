import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { isFacegateError } from '../domain/errors.js';
import {
  createDataCipher,
  DataCipher,
  formatDataKeys,
  GENERATED_KEY_FILE,
  parseDataKeys,
} from './data-cipher.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const plain = new Uint8Array(new Float32Array([0.1, -0.2, 0.3, 0.4]).buffer);

function expectError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isFacegateError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

describe('DataCipher', () => {
  it('round-trips and uses a fresh IV per encryption', () => {
    const cipher = new DataCipher([k1]);
    const a = cipher.encrypt(plain, 'tpl-1');
    const b = cipher.encrypt(plain, 'tpl-1');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(cipher.decrypt(a, 'tpl-1'))).toEqual(Buffer.from(plain));
    expect(cipher.keyIdOf(a)).toBe('k1');
    expect(a[0]).toBe(1);
    expect(Buffer.from(a).includes(Buffer.from(plain))).toBe(false);
  });

  it('detects a flipped byte anywhere in the envelope', () => {
    const cipher = new DataCipher([k1]);
    const envelope = cipher.encrypt(plain, 'tpl-1');
    for (let i = 0; i < envelope.length; i++) {
      const tampered = Uint8Array.from(envelope);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(() => cipher.decrypt(tampered, 'tpl-1'), `byte ${i}`).toThrow();
    }
  });

  it('refuses a wrong key with the same id and an unknown key id', () => {
    const envelope = new DataCipher([k1]).encrypt(plain);
    expectError(() => new DataCipher([{ id: 'k1', key: randomBytes(32) }]).decrypt(envelope), 'INTERNAL');
    expectError(() => new DataCipher([k2]).decrypt(envelope), 'INTERNAL');
  });

  it('binds the ciphertext to its AAD so records cannot be swapped', () => {
    const cipher = new DataCipher([k1]);
    const envelope = cipher.encrypt(plain, 'tpl-1');
    expectError(() => cipher.decrypt(envelope, 'tpl-2'), 'INTERNAL');
    expectError(() => cipher.decrypt(envelope), 'INTERNAL');
  });

  it('rotates: new writes use the current key, old records stay readable, rotate re-encrypts', () => {
    const old = new DataCipher([k1]).encrypt(plain, 'a');
    const rotated = new DataCipher([k2, k1]);
    expect(Buffer.from(rotated.decrypt(old, 'a'))).toEqual(Buffer.from(plain));
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.rotate(old, 'a');
    expect(rotated.keyIdOf(fresh)).toBe('k2');
    expect(rotated.needsRotation(fresh)).toBe(false);
    expect(rotated.rotate(fresh, 'a')).toBe(fresh);
    expect(Buffer.from(new DataCipher([k2]).decrypt(fresh, 'a'))).toEqual(Buffer.from(plain));
  });

  it('keyed hashes are deterministic per key and purpose, and differ from a plain hash', () => {
    const a = new DataCipher([k1]);
    expect(a.keyedHash(plain, 'blob-key')).toBe(new DataCipher([k1, k2]).keyedHash(plain, 'blob-key'));
    expect(a.keyedHash(plain, 'blob-key')).toMatch(/^[0-9a-f]{64}$/);
    expect(a.keyedHash(plain, 'other')).not.toBe(a.keyedHash(plain, 'blob-key'));
    expect(new DataCipher([k2]).keyedHash(plain, 'blob-key')).not.toBe(a.keyedHash(plain, 'blob-key'));
  });

  it('keyedHashes gives the hash under every key, current first, so values from before a rotation are found', () => {
    const before = new DataCipher([k1]).keyedHash(plain, 'source-hash');
    const after = new DataCipher([k2, k1]);
    expect(after.keyedHash(plain, 'source-hash')).not.toBe(before);
    expect(after.keyedHashes(plain, 'source-hash')).toEqual([after.keyedHash(plain, 'source-hash'), before]);
  });

  it('refuses bad keys at construction', () => {
    expectError(() => new DataCipher([]), 'CONFIG_INVALID');
    expectError(() => new DataCipher([{ id: 'x', key: randomBytes(16) }]), 'CONFIG_INVALID');
    expectError(() => new DataCipher([{ id: 'bad id', key: randomBytes(32) }]), 'CONFIG_INVALID');
    expectError(() => new DataCipher([k1, { id: 'k1', key: randomBytes(32) }]), 'CONFIG_INVALID');
  });
});

describe('parseDataKeys', () => {
  it('parses id:base64 lists and a bare key', () => {
    const keys = parseDataKeys(`k2:${k2.key.toString('base64')}, k1:${k1.key.toString('base64')}`);
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0]!.key.equals(k2.key)).toBe(true);
    expect(parseDataKeys(k1.key.toString('base64'))[0]!.id).toBe('default');
    expect(parseDataKeys(formatDataKeys([k1, k2])).map((k) => k.id)).toEqual(['k1', 'k2']);
  });

  it('refuses short, malformed and empty specs without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    expectError(() => parseDataKeys(`k:${short}`), 'CONFIG_INVALID');
    expectError(() => parseDataKeys('k:not base64!!'), 'CONFIG_INVALID');
    expectError(() => parseDataKeys(' , '), 'CONFIG_INVALID');
    let message = '';
    try {
      parseDataKeys(`k:${short}`);
    } catch (error) {
      message = String((error as Error).message);
    }
    expect(message).toMatch(/\w/);
    expect(message).not.toContain(short);
  });
});

describe('createDataCipher', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'facegate-cipher-'));
    dirs.push(dir);
    return dir;
  }

  it('generates a 0600 key file once in development and reuses it', async () => {
    const dataDir = await tempDir();
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir });
    const first = await createDataCipher(config);
    const file = join(dataDir, GENERATED_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = await readFile(file, 'utf8');
    const second = await createDataCipher(config);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(second.currentKeyId).toBe(first.currentKeyId);
    expect(Buffer.from(second.decrypt(first.encrypt(plain, 'x'), 'x'))).toEqual(Buffer.from(plain));
  });

  it('creates one key file when several processes start together', async () => {
    const dataDir = await tempDir();
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir });
    const ciphers = await Promise.all([1, 2, 3, 4].map(() => createDataCipher(config)));
    const envelope = ciphers[0]!.encrypt(plain);
    for (const c of ciphers) expect(Buffer.from(c.decrypt(envelope))).toEqual(Buffer.from(plain));
  });

  it('keeps reading with the generated development key after keys are configured', async () => {
    const dataDir = await tempDir();
    const generated = await createDataCipher(
      loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir }),
    );
    const old = generated.encrypt(plain, 'x');
    const configured = await createDataCipher(
      loadConfig({
        FACEGATE_ENV: 'test',
        FACEGATE_DATA_DIR: dataDir,
        FACEGATE_DATA_KEY: `k2:${k2.key.toString('base64')}`,
      }),
    );
    expect(configured.currentKeyId).toBe('k2');
    expect(Buffer.from(configured.decrypt(old, 'x'))).toEqual(Buffer.from(plain));
  });

  it('merges env keys (current first) with a key file', async () => {
    const dataDir = await tempDir();
    const keyFile = join(dataDir, 'keys.txt');
    await writeFile(keyFile, formatDataKeys([k1]));
    const config = loadConfig({
      FACEGATE_ENV: 'test',
      FACEGATE_DATA_DIR: dataDir,
      FACEGATE_DATA_KEY: `k2:${k2.key.toString('base64')}`,
      FACEGATE_DATA_KEY_FILE: keyFile,
    });
    const cipher = await createDataCipher(config);
    expect(cipher.keyIds).toEqual(['k2', 'k1']);
    expect(cipher.currentKeyId).toBe('k2');
  });

  it('refuses a weak current key file in production, and accepts it in development', async () => {
    const dataDir = await tempDir();
    const keyFile = join(dataDir, 'keys.txt');
    await writeFile(keyFile, formatDataKeys([{ id: 'zero', key: Buffer.alloc(32) }]));
    const env = { FACEGATE_DATA_DIR: dataDir, FACEGATE_DATA_KEY_FILE: keyFile };
    const production = { ...loadConfig({ ...env, FACEGATE_ENV: 'test' }), env: 'production' as const };
    await expect(createDataCipher(production)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Data key "zero" is one byte (0x00) repeated'),
    });
    expect((await createDataCipher(loadConfig({ ...env, FACEGATE_ENV: 'test' }))).currentKeyId).toBe('zero');
  });
});
