import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ed25519Seed, weakKeyReason } from './key-strength.js';

describe('weakKeyReason (the entropy rule for keys and seeds)', () => {
  it('passes random 32-byte keys', () => {
    for (let i = 0; i < 2000; i++) expect(weakKeyReason(randomBytes(32))).toBeUndefined();
  });

  it.each([
    ['all zero', Buffer.alloc(32), 'one byte (0x00) repeated'],
    ['all 0xff', Buffer.alloc(32, 0xff), 'one byte (0xff) repeated'],
    ['a period of 2', Buffer.from('00ff'.repeat(16), 'hex'), 'only 2 distinct byte values'],
    ['a period of 15', Buffer.from(Array.from({ length: 32 }, (_, i) => (i % 15) * 17)), 'only 15 distinct'],
    ['a counter', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 'only 1 distinct steps'],
    [
      'a stepping pattern',
      Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + (i % 2) * 5) & 0xff)),
      'simple pattern',
    ],
    ['ASCII text', Buffer.from('aaaabbbbccccddddaaaabbbbccccdddd'), 'distinct byte values'],
    ['empty', Buffer.alloc(0), 'is empty'],
  ])('refuses %s', (_name, key, reason) => {
    expect(weakKeyReason(key)).toContain(reason);
  });

  it('scales the bar with short inputs', () => {
    expect(weakKeyReason(Buffer.from([1, 7, 3, 200]))).toBeUndefined();
    expect(weakKeyReason(Buffer.from([1, 1, 1, 2, 1, 1, 1, 2]))).toContain('distinct byte values');
  });
});

describe('ed25519Seed', () => {
  it('reads the seed of a PEM (also with literal \\n) and a JWK, and nothing from other keys', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d!, 'base64url');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(Buffer.from(ed25519Seed(pem)!)).toEqual(seed);
    expect(Buffer.from(ed25519Seed(pem.replaceAll('\n', '\\n'))!)).toEqual(seed);
    expect(Buffer.from(ed25519Seed(JSON.stringify(jwk))!)).toEqual(seed);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(ed25519Seed(ec.export({ format: 'pem', type: 'pkcs8' }).toString())).toBeUndefined();
    expect(ed25519Seed('not a key')).toBeUndefined();
  });
});
