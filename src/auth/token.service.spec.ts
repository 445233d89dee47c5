import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { TokenService } from './token.service.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function config(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-token-'));
  dirs.push(dir);
  return loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir, ...env });
}

describe('TokenService', () => {
  it('signs EdDSA tokens that verify against its JWKS with iss, aud, sub, exp and kid', async () => {
    const service = new TokenService({ config: await config() });
    const { token, expiresAt } = await service.sign({
      employeeId: 'e-1',
      badge: 'B1',
      method: 'authenticate',
    });
    const jwks = await service.jwks();
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer: 'facegate',
      audience: 'facegate-door',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0]!.kid });
    expect(payload).toMatchObject({ sub: 'e-1', badge: 'B1', amr: ['face'] });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(new Date(expiresAt).getTime()).toBe(payload.exp! * 1000);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('generates the development key once, 0600, and reuses it', async () => {
    const cfg = await config();
    const first = await new TokenService({ config: cfg }).jwks();
    const file = join(cfg.dataDir, 'keys', 'token-signing-key.pem');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    expect((await new TokenService({ config: cfg }).jwks()).keys[0]!.kid).toBe(first.keys[0]!.kid);
  });

  it('uses a configured PEM or JWK key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    const a = await new TokenService({ config: await config({ FACEGATE_TOKEN_SIGNING_KEY: pem }) }).jwks();
    const b = await new TokenService({ config: await config({ FACEGATE_TOKEN_SIGNING_KEY: jwk }) }).jwks();
    expect(a.keys[0]!.x).toBe(b.keys[0]!.x);
  });

  it('refuses a bad key, a non-Ed25519 key, and a missing key in production', async () => {
    await expect(
      new TokenService({ config: await config({ FACEGATE_TOKEN_SIGNING_KEY: 'not a key' }) }).load(),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    await expect(
      new TokenService({ config: await config({ FACEGATE_TOKEN_SIGNING_KEY: rsa.toString() }) }).load(),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const prod = { ...(await config()), env: 'production' as const };
    prod.security = { ...prod.security, tokenSigningKey: undefined };
    await expect(new TokenService({ config: prod }).load()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('rejects expired tokens', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const service = new TokenService({ config: await config(), clock: { now: () => now } });
    const { token } = await service.sign({ employeeId: 'e', badge: 'b', method: 'verify' });
    expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
    await expect(service.verify(token)).resolves.toMatchObject({ employeeId: 'e' });
    now = new Date(now.getTime() + 61_000);
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
