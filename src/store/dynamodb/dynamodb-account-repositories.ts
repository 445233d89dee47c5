import type { DataCipher } from '../../crypto/data-cipher.js';
import type { Role } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { ApiKey, Session, User } from '../../domain/models.js';
import type { FactorSubject } from '../../domain/second-factors.js';
import type { ApiKeyRepository, SessionRepository, UserRepository } from '../store.port.js';
import { claim, notFound, releaseClaim } from './dynamodb-claims.js';
import { type DynamoItem, type DynamoOps, type DynamoRunner, now } from './dynamodb-runner.js';

const USER = 'USER';
const USERNAME = 'USERNAME';
const APIKEY = 'APIKEY';
const KEYPREFIX = 'KEYPREFIX';
const SESSION = 'SESSION';
const ROLES: readonly Role[] = ['admin', 'enroller', 'auditor', 'kiosk'];
/** How long a first-run setup holds its lock; a crashed setup frees it after this. */
const SETUP_LEASE_MS = 30_000;

type NewUser = Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>;
type UserPatch = Partial<Pick<User, 'passwordHash' | 'role' | 'disabled' | 'totpSecret' | 'lastLoginAt'>>;
const USER_PATCH_FIELDS: ReadonlyArray<keyof UserPatch> = [
  'passwordHash',
  'role',
  'disabled',
  'totpSecret',
  'lastLoginAt',
];

function assertRole(role: Role): void {
  if (!ROLES.includes(role))
    throw new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint: 'role' });
}

function userTotpAad(userId: string): string {
  return `facegate:user-totp:${userId}`;
}

/** DynamoDB admin users; usernames are unique (any case) through a claim item; TOTP secrets are encrypted. */
/** Deletes a subject's second factors inside the caller's statement (the SQL stores' cascade). */
export interface FactorCascade {
  deleteAllOf(ops: DynamoOps, subject: FactorSubject): Promise<number>;
}

export class DynamoUserRepository implements UserRepository {
  constructor(
    private readonly run: DynamoRunner,
    private readonly cipher: DataCipher,
    private readonly sessions: DynamoSessionRepository,
    private readonly factors: FactorCascade,
  ) {}

  private decode(item: DynamoItem): User {
    const enc = item.totpSecretEnc as Uint8Array | undefined;
    const id = String(item.id);
    return {
      id,
      username: String(item.username),
      passwordHash: String(item.passwordHash),
      role: item.role as Role,
      disabled: item.disabled === true,
      totpSecret: enc ? Buffer.from(this.cipher.decrypt(enc, userTotpAad(id))).toString('utf8') : null,
      createdAt: String(item.createdAt),
      updatedAt: String(item.updatedAt),
      lastLoginAt: (item.lastLoginAt as string | undefined) ?? null,
    };
  }

  private encode(user: User): DynamoItem {
    const { totpSecret, lastLoginAt, ...rest } = user;
    return {
      pk: USER,
      sk: user.id,
      type: 'user',
      ...rest,
      ...(totpSecret === null
        ? {}
        : { totpSecretEnc: this.cipher.encrypt(Buffer.from(totpSecret, 'utf8'), userTotpAad(user.id)) }),
      ...(lastLoginAt === null ? {} : { lastLoginAt }),
    };
  }

  private async insert(ops: DynamoOps, input: NewUser): Promise<User> {
    assertRole(input.role);
    const at = now();
    const user: User = { ...input, createdAt: at, updatedAt: at, lastLoginAt: null };
    const lower = user.username.toLowerCase();
    const free = await claim(ops, USERNAME, lower, user.id, async (other) => {
      const holder = await ops.get(USER, other);
      return holder !== undefined && String(holder.username).toLowerCase() === lower;
    });
    if (!free)
      throw new FacegateError('CONFLICT', 'Username already in use', { constraint: 'users.username' });
    if (!(await ops.putNew(this.encode(user)))) {
      throw new FacegateError('CONFLICT', 'User id already exists', { constraint: 'users.id' });
    }
    return user;
  }

  async create(user: NewUser): Promise<User> {
    return this.run((ops) => this.insert(ops, user));
  }

  /**
   * A lease item serialises first-run setups across nodes: only its holder checks for an enabled admin and
   * creates one, so racing setups create one admin; the others get `SETUP_ALREADY_DONE`.
   */
  async createFirstAdmin(user: Omit<NewUser, 'role'>): Promise<User> {
    return this.run(async (ops) => {
      const at = Date.now();
      const lease = {
        pk: 'META',
        sk: 'first-admin',
        type: 'lease',
        owner: user.id,
        expiresAt: at + SETUP_LEASE_MS,
      };
      const held =
        (await ops.putNew(lease)) ||
        (await ops.put(lease, {
          expression: '#x < :now',
          names: { '#x': 'expiresAt' },
          values: { ':now': at },
        }));
      if (!held) throw new FacegateError('SETUP_ALREADY_DONE', 'Another first-run setup is in progress');
      try {
        const admins = await ops.partition(USER, {
          expression: '#r = :admin AND #d = :no',
          names: { '#r': 'role', '#d': 'disabled' },
          values: { ':admin': 'admin', ':no': false },
        });
        if (admins.length > 0)
          throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
        return await this.insert(ops, { ...user, role: 'admin' });
      } finally {
        await ops.remove('META', 'first-admin', {
          expression: '#o = :me',
          names: { '#o': 'owner' },
          values: { ':me': user.id },
        });
      }
    });
  }

  async get(id: string): Promise<User | undefined> {
    const item = await this.run((ops) => ops.get(USER, id));
    return item && this.decode(item);
  }

  async getByUsername(username: string): Promise<User | undefined> {
    return this.run(async (ops) => {
      const claimed = await ops.get(USERNAME, username.toLowerCase());
      const item = claimed && (await ops.get(USER, String(claimed.owner)));
      if (!item || String(item.username).toLowerCase() !== username.toLowerCase()) return undefined;
      return this.decode(item);
    });
  }

  async list(): Promise<User[]> {
    const items = await this.run((ops) => ops.partition(USER));
    return items
      .map((item) => this.decode(item))
      .sort((a, b) => (a.username.toLowerCase() < b.username.toLowerCase() ? -1 : 1));
  }

  async update(id: string, patch: UserPatch): Promise<User> {
    return this.run(async (ops) => {
      const item = await ops.get(USER, id);
      if (!item) throw notFound('User');
      const defined = Object.fromEntries(
        USER_PATCH_FIELDS.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]]),
      );
      const user: User = { ...this.decode(item), ...defined };
      if (Object.keys(defined).length === 0) return user;
      assertRole(user.role);
      user.updatedAt = now();
      if (!(await ops.put(this.encode(user), { expression: 'attribute_exists(pk)' }))) throw notFound('User');
      return user;
    });
  }

  /** Deletes the user, its username claim and its sessions. */
  async delete(id: string): Promise<boolean> {
    return this.run(async (ops) => {
      const removed = await ops.remove(USER, id);
      if (!removed) return false;
      await releaseClaim(ops, USERNAME, String(removed.username).toLowerCase(), id);
      await this.sessions.deleteAllOf(ops, id);
      await this.factors.deleteAllOf(ops, { type: 'user', id });
      return true;
    });
  }

  async count(): Promise<number> {
    return this.run((ops) => ops.count(USER));
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    const items = await this.run((ops) => ops.partition(USER));
    let rewritten = 0;
    for (const item of items) {
      const enc = item.totpSecretEnc as Uint8Array | undefined;
      if (!enc || !this.cipher.needsRotation(enc)) continue;
      const fresh = { ...item, totpSecretEnc: this.cipher.rotate(enc, userTotpAad(String(item.id))) };
      if (await this.run((ops) => ops.put(fresh, { expression: 'attribute_exists(pk)' }))) rewritten++;
    }
    return rewritten;
  }
}

function toApiKey(item: DynamoItem): ApiKey {
  return {
    id: String(item.id),
    name: String(item.name),
    prefix: String(item.prefix),
    secretHash: String(item.secretHash),
    role: item.role as Role,
    createdBy: (item.createdBy as string | null | undefined) ?? null,
    createdAt: String(item.createdAt),
    lastUsedAt: (item.lastUsedAt as string | undefined) ?? null,
    revokedAt: (item.revokedAt as string | undefined) ?? null,
  };
}

/** DynamoDB API keys (hashed secrets only); prefixes are unique through a claim item. */
export class DynamoApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly run: DynamoRunner) {}

  async create(key: Omit<ApiKey, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey> {
    assertRole(key.role);
    const created: ApiKey = { ...key, createdAt: now(), lastUsedAt: null, revokedAt: null };
    return this.run(async (ops) => {
      const free = await claim(ops, KEYPREFIX, key.prefix, key.id, async (other) => {
        const holder = await ops.get(APIKEY, other);
        return holder !== undefined && holder.prefix === key.prefix;
      });
      if (!free)
        throw new FacegateError('CONFLICT', 'Key prefix already in use', { constraint: 'api_keys.prefix' });
      const { lastUsedAt: _l, revokedAt: _r, ...stored } = created;
      if (!(await ops.putNew({ pk: APIKEY, sk: key.id, type: 'api_key', ...stored }))) {
        throw new FacegateError('CONFLICT', 'Key id already exists', { constraint: 'api_keys.id' });
      }
      return created;
    });
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const item = await this.run((ops) => ops.get(APIKEY, id));
    return item && toApiKey(item);
  }

  async getByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return this.run(async (ops) => {
      const claimed = await ops.get(KEYPREFIX, prefix);
      const item = claimed && (await ops.get(APIKEY, String(claimed.owner)));
      return item && item.prefix === prefix ? toApiKey(item) : undefined;
    });
  }

  async list(): Promise<ApiKey[]> {
    const items = await this.run((ops) => ops.partition(APIKEY));
    return items.map(toApiKey).sort((a, b) => {
      if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
      return a.id < b.id ? -1 : 1;
    });
  }

  async touch(id: string, at: string): Promise<void> {
    await this.run(async (ops) => {
      const item = await ops.get(APIKEY, id);
      if (item) await ops.put({ ...item, lastUsedAt: at }, { expression: 'attribute_exists(pk)' });
    });
  }

  /** Returns false when the key is absent or already revoked. */
  async revoke(id: string, at: string): Promise<boolean> {
    return this.run(async (ops) => {
      const item = await ops.get(APIKEY, id);
      if (!item) return false;
      return ops.put(
        { ...item, revokedAt: at },
        { expression: 'attribute_exists(pk) AND attribute_not_exists(#r)', names: { '#r': 'revokedAt' } },
      );
    });
  }
}

/** DynamoDB sessions; each carries a TTL attribute so DynamoDB also sweeps expired ones. */
export class DynamoSessionRepository implements SessionRepository {
  constructor(private readonly run: DynamoRunner) {}

  async create(session: Session): Promise<Session> {
    return this.run(async (ops) => {
      if (!(await ops.get(USER, session.userId))) {
        throw new FacegateError('NOT_FOUND', 'Referenced record does not exist');
      }
      const ttl = Math.ceil(Date.parse(session.expiresAt) / 1000);
      // DynamoDB stores no NaN: an unparsable expiry gets no TTL (the expiry sweep still compares the text).
      const expiry = Number.isFinite(ttl) ? { ttl } : {};
      if (!(await ops.putNew({ pk: SESSION, sk: session.id, type: 'session', ...expiry, ...session }))) {
        throw new FacegateError('CONFLICT', 'Session already exists', { constraint: 'sessions.id' });
      }
      return { ...session };
    });
  }

  async get(id: string): Promise<Session | undefined> {
    const item = await this.run((ops) => ops.get(SESSION, id));
    if (!item) return undefined;
    return {
      id: String(item.id),
      userId: String(item.userId),
      csrfToken: String(item.csrfToken),
      createdAt: String(item.createdAt),
      expiresAt: String(item.expiresAt),
    };
  }

  async delete(id: string): Promise<void> {
    await this.run((ops) => ops.remove(SESSION, id));
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.run((ops) => this.deleteAllOf(ops, userId));
  }

  /** Deletes the sessions of one user inside the caller's statement. */
  async deleteAllOf(ops: DynamoOps, userId: string): Promise<void> {
    const items = await ops.partition(SESSION, {
      expression: '#u = :u',
      names: { '#u': 'userId' },
      values: { ':u': userId },
    });
    for (const item of items) await ops.remove(SESSION, String(item.sk));
  }

  /** Deletes sessions whose `expiresAt` is at or before `at`. */
  async deleteExpired(at: string): Promise<number> {
    return this.run(async (ops) => {
      const items = await ops.partition(SESSION, {
        expression: '#x <= :at',
        names: { '#x': 'expiresAt' },
        values: { ':at': at },
      });
      let removed = 0;
      for (const item of items) if (await ops.remove(SESSION, String(item.sk))) removed++;
      return removed;
    });
  }
}
