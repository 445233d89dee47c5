import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, type JWK, jwtVerify, SignJWT } from 'jose';
import type { FacegateConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';

/** What a signed face-login token says. */
export interface TokenSubject {
  employeeId: string;
  badge: string;
  /** `authenticate` (1:N) or `verify` (1:1). */
  method: 'authenticate' | 'verify';
  /** Authentication methods (RFC 8176), first factor first; `["face"]` when absent. */
  amr?: readonly string[];
}

/** A signed token and when it expires. */
export interface SignedToken {
  token: string;
  expiresAt: string;
}

/** A published JSON Web Key Set. */
export interface Jwks {
  keys: JWK[];
}

const ALG = 'EdDSA';

interface LoadedKey {
  privateKey: KeyObject;
  publicJwk: JWK;
  kid: string;
}

/**
 * Signs short-lived EdDSA (Ed25519) JWTs for matched employees, verifiable offline against `/v1/.well-known/jwks.json`.
 * The key comes from `security.tokenSigningKey` (PKCS8 PEM or JWK); in development/test it is generated once
 * into `<dataDir>/keys/token-signing-key.pem` (mode 0600).
 */
export class TokenService extends GuardedService {
  private loading: Promise<LoadedKey> | undefined;
  private readonly config: Pick<FacegateConfig, 'env' | 'dataDir' | 'security'>;

  constructor(deps: ServiceRuntime & { config: Pick<FacegateConfig, 'env' | 'dataDir' | 'security'> }) {
    super(deps);
    this.config = deps.config;
  }

  /** Loads (or creates, in development) the signing key; later calls share the same promise. */
  load(): Promise<LoadedKey> {
    this.loading ??= this.loadKey();
    return this.loading;
  }

  /** Signs a token with `sub` = employee id, `aud`, `iss`, `exp`, `iat`, `jti` and the key's `kid`. */
  async sign(subject: TokenSubject): Promise<SignedToken> {
    const { privateKey, kid } = await this.load();
    const { tokenIssuer, tokenAudience, tokenTtlSeconds } = this.config.security;
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = iat + tokenTtlSeconds;
    const token = await new SignJWT({
      badge: subject.badge,
      amr: [...(subject.amr ?? ['face'])],
      method: subject.method,
    })
      .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
      .setSubject(subject.employeeId)
      .setIssuer(tokenIssuer)
      .setAudience(tokenAudience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Verifies a token this service signed (for tests and the CLI); throws `UNAUTHENTICATED` when invalid. */
  async verify(token: string): Promise<{ employeeId: string; badge: string }> {
    const { publicJwk } = await this.load();
    try {
      const { payload } = await jwtVerify(
        token,
        createPublicKey({ key: publicJwk as never, format: 'jwk' }),
        {
          issuer: this.config.security.tokenIssuer,
          audience: this.config.security.tokenAudience,
          algorithms: [ALG],
          currentDate: this.clock.now(),
        },
      );
      return { employeeId: String(payload.sub), badge: String(payload.badge) };
    } catch {
      throw new FacegateError('UNAUTHENTICATED', 'Invalid or expired token');
    }
  }

  /** The public key set to publish. */
  async jwks(): Promise<Jwks> {
    const { publicJwk } = await this.load();
    return { keys: [publicJwk] };
  }

  private async loadKey(): Promise<LoadedKey> {
    const privateKey = await this.readPrivateKey();
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new FacegateError('CONFIG_INVALID', 'FACEGATE_TOKEN_SIGNING_KEY must be an Ed25519 private key');
    }
    const { kty, crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
    const base = { kty, crv, x } as JWK;
    const kid = await calculateJwkThumbprint(base);
    return { privateKey, kid, publicJwk: { ...base, kid, alg: ALG, use: 'sig' } };
  }

  private async readPrivateKey(): Promise<KeyObject> {
    const configured = this.config.security.tokenSigningKey?.trim();
    if (configured) {
      try {
        return configured.startsWith('{')
          ? createPrivateKey({ key: JSON.parse(configured) as never, format: 'jwk' })
          : createPrivateKey(configured.replace(/\\n/g, '\n'));
      } catch (error) {
        throw new FacegateError(
          'CONFIG_INVALID',
          'FACEGATE_TOKEN_SIGNING_KEY is not a valid PKCS8 PEM or JWK private key',
          undefined,
          { cause: error },
        );
      }
    }
    if (this.config.env === 'production') {
      throw new FacegateError('CONFIG_INVALID', 'FACEGATE_TOKEN_SIGNING_KEY must be set in production');
    }
    const file = join(this.config.dataDir, 'keys', 'token-signing-key.pem');
    try {
      return createPrivateKey(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    try {
      // 'wx': two processes starting at once must not overwrite each other's key.
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        return createPrivateKey(await readFile(file, 'utf8'));
      throw error;
    }
    await chmod(file, 0o600);
    return privateKey;
  }
}
