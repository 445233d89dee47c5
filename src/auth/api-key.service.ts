import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor, AuthenticatedActor, Role } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { ApiKey } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';
import { randomToken, safeEqual, sha256Hex } from './secrets.js';

const KEY_PATTERN = /^fg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly created key: `secret` is the full bearer string, shown once and never stored. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

/** True when a bearer string looks like an API key (as opposed to a session token). */
export function looksLikeApiKey(bearer: string): boolean {
  return bearer.startsWith('fg_');
}

/** API keys for kiosks and integrations: random, shown once, stored as a sha256 hash, role-scoped, revocable. */
export class ApiKeyService extends GuardedService {
  private readonly store: Store;

  constructor(deps: ServiceRuntime & { store: Store }) {
    super(deps);
    this.store = deps.store;
  }

  /** Creates a key; the returned `secret` (`fg_<prefix>_<secret>`) is the only time it is visible. */
  async create(actor: Actor, input: { name: string; role: Role }): Promise<CreatedApiKey> {
    await this.policy.authorize(actor, 'keys:manage');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) {
      throw new FacegateError('VALIDATION_FAILED', 'Key name must have 1 to 100 characters');
    }
    let prefix = randomBytes(6).toString('hex');
    while (await this.store.apiKeys.getByPrefix(prefix)) prefix = randomBytes(6).toString('hex');
    const secret = `fg_${prefix}_${randomToken(32)}`;
    const key = await this.store.apiKeys.create({
      id: randomUUID(),
      name,
      prefix,
      secretHash: sha256Hex(secret),
      role: input.role,
      createdBy: actor.id,
    });
    await this.store.audit.append({
      action: 'apikey.create',
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
      details: { keyId: key.id, prefix, role: key.role, name: key.name },
    });
    return { key, secret };
  }

  /** Every key, newest first, with prefix and last-used time (never the hash). */
  async list(actor: Actor): Promise<ApiKey[]> {
    await this.policy.authorize(actor, 'keys:manage');
    const keys = await this.store.apiKeys.list();
    return keys.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Revokes a key; it stops working at once. */
  async revoke(actor: Actor, id: string): Promise<void> {
    await this.policy.authorize(actor, 'keys:manage');
    const key = await this.store.apiKeys.get(id);
    if (!key) throw new FacegateError('NOT_FOUND', 'API key not found');
    if (!key.revokedAt) await this.store.apiKeys.revoke(id, this.clock.now().toISOString());
    await this.store.audit.append({
      action: 'apikey.revoke',
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
      details: { keyId: id, prefix: key.prefix },
    });
  }

  /**
   * Resolves a bearer key to its actor, or throws `UNAUTHENTICATED` (unknown, malformed or revoked key alike).
   * Records the last-used time.
   */
  async authenticate(secret: string, ip: string | null): Promise<AuthenticatedActor> {
    const match = KEY_PATTERN.exec(secret);
    const key = match?.[1] ? await this.store.apiKeys.getByPrefix(match[1]) : undefined;
    if (!key || key.revokedAt || !safeEqual(key.secretHash, sha256Hex(secret))) {
      throw new FacegateError('UNAUTHENTICATED', 'Invalid or revoked API key');
    }
    const now = this.clock.now();
    // Throttled so that a busy kiosk does not turn every request into a write.
    if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > 60_000) {
      await this.store.apiKeys.touch(key.id, now.toISOString());
    }
    return { type: 'api_key', id: key.id, role: key.role, name: key.name, ip };
  }
}
