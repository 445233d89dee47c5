import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FacegateError } from '../domain/errors.js';
import { loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('CONFIG_INVALID');
    return ((error as FacegateError).details as { problems: string[] }).problems;
  }
  return [];
}

describe('engine fusion setting', () => {
  it('defaults to fr_feature and MobileFaceNet, equally weighted', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).engine.fusion).toEqual([
      { embedder: 'fr_feature', weight: 0.5 },
      { embedder: 'mobilefacenet', weight: 0.5 },
    ]);
  });

  it('reads members written as the model id names them and normalises the weights', () => {
    const config = loadConfig({ NODE_ENV: 'test', FACEGATE_FUSION: 'fr_feature*3 + mobilefacenet*3+dlib*4' });
    expect(config.engine.fusion).toEqual([
      { embedder: 'fr_feature', weight: 0.3 },
      { embedder: 'mobilefacenet', weight: 0.3 },
      { embedder: 'dlib', weight: 0.4 },
    ]);
  });

  it.each([
    'fr_feature*1',
    'fr_feature*0.5+fr_feature*0.5',
    'fr_feature*0.5+arcface*0.5',
    'fr_feature*0.5+dlib*0',
    'fr_feature*0.5+dlib*-1',
    'fr_feature+dlib',
    'fr_feature*x+dlib*1',
  ])('refuses "%s" with a message that shows the expected form', (value) => {
    const found = problems({ FACEGATE_FUSION: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('FACEGATE_FUSION');
    expect(found[0]).toContain('fr_feature*0.5+mobilefacenet*0.5');
  });

  it('accepts every single embedder and fusion as FACEGATE_EMBEDDER', () => {
    for (const embedder of ['fr_feature', 'mobilefacenet', 'dlib', 'fusion']) {
      expect(loadConfig({ NODE_ENV: 'test', FACEGATE_EMBEDDER: embedder }).engine.embedder).toBe(embedder);
    }
    expect(problems({ FACEGATE_EMBEDDER: 'faceres' })[0]).toContain('FACEGATE_EMBEDDER');
  });

  it('refuses the removed FACEGATE_FUSION_WEIGHT instead of ignoring it', () => {
    expect(problems({ FACEGATE_FUSION_WEIGHT: '0.3' })[0]).toContain('FACEGATE_FUSION');
  });

  it('reports every problem at once', () => {
    expect(problems({ FACEGATE_FUSION: 'dlib*1', FACEGATE_PORT: 'eighty' })).toHaveLength(2);
  });
});

describe('FACEGATE_TRUST_PROXY', () => {
  const trust = (value: string) =>
    loadConfig({ NODE_ENV: 'test', FACEGATE_TRUST_PROXY: value }).security.trustProxy;

  it('defaults to trusting no proxy, and reads false and 0 the same way', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).security.trustProxy).toEqual({ kind: 'none' });
    expect(trust('false')).toEqual({ kind: 'none' });
    expect(trust('0')).toEqual({ kind: 'none' });
  });

  it('reads a hop count', () => {
    expect(trust('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust(' 2 ')).toEqual({ kind: 'hops', hops: 2 });
  });

  it('reads a list of IPv4 and IPv6 addresses and CIDRs', () => {
    expect(trust('10.0.0.5, 192.168.0.0/16,::1,fd00::/8,loopback')).toEqual({
      kind: 'list',
      cidrs: ['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback'],
    });
  });

  it.each(['true', 'TRUE', 'yes', 'on'])('refuses "%s" and says what to write instead', (value) => {
    const found = problems({ FACEGATE_TRUST_PROXY: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('FACEGATE_TRUST_PROXY=true would trust every hop');
    expect(found[0]).toMatch(/e\.g\. 1 .*10\.0\.0\.5/);
  });

  it.each(['10.0.0.300', '10.0.0.0/33', 'fd00::/129', 'proxy.example.com', '1,2', '99'])(
    'refuses "%s"',
    (value) => {
      const found = problems({ FACEGATE_TRUST_PROXY: value });
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('FACEGATE_TRUST_PROXY');
    },
  );
});

describe('weak secrets in production', () => {
  const strongKey = `k1:${randomBytes(32).toString('base64')}`;
  const strongSeed = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  /** PKCS8 PEM of the Ed25519 key with this seed (the 16-byte PKCS8 prefix + 32 seed bytes). */
  function seedPem(seed: Buffer): string {
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  }
  const production = (security: Record<string, string>) =>
    problems({
      NODE_ENV: 'production',
      FACEGATE_DATA_KEY: strongKey,
      FACEGATE_TOKEN_SIGNING_KEY: strongSeed,
      ...security,
    });

  it('accepts random keys', () => {
    expect(production({})).toEqual([]);
  });

  it.each([
    ['all zero', Buffer.alloc(32)],
    ['one byte repeated', Buffer.alloc(32, 0xab)],
    ['a period of 4', Buffer.from('deadbeef'.repeat(8), 'hex')],
    ['a counter', Buffer.from(Array.from({ length: 32 }, (_, i) => i))],
  ])('refuses a data key that is %s, naming the rule', (_name, key) => {
    const found = production({ FACEGATE_DATA_KEY: `k1:${key.toString('base64')}` });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('FACEGATE_DATA_KEY');
    expect(found[0]).toContain('16 distinct byte values');
  });

  it('checks only the current data key, so a weak old one can still be rotated away', () => {
    expect(
      production({ FACEGATE_DATA_KEY: `${strongKey},old:${Buffer.alloc(32).toString('base64')}` }),
    ).toEqual([]);
  });

  it.each([
    ['all zero', Buffer.alloc(32)],
    ['a period of 2', Buffer.from('0102'.repeat(16), 'hex')],
  ])('refuses an Ed25519 signing seed that is %s, as PEM and as JWK', (_name, seed) => {
    const pem = seedPem(seed);
    const jwk = JSON.stringify(createPrivateKey(pem).export({ format: 'jwk' }));
    for (const value of [pem, pem.replaceAll('\n', '\\n'), jwk]) {
      const found = production({ FACEGATE_TOKEN_SIGNING_KEY: value });
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('FACEGATE_TOKEN_SIGNING_KEY: the Ed25519 seed');
    }
  });

  it('leaves weak keys alone outside production (tests and development use fixed keys)', () => {
    expect(problems({ FACEGATE_DATA_KEY: `k1:${Buffer.alloc(32).toString('base64')}` })).toEqual([]);
  });
});
