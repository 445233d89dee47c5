import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import type { ApiKey, Session, User } from '../../domain/models.js';
import { required } from '../../util/checked-access.js';
import {
  type ApiKeyRow,
  rotateUserTotp,
  type SessionRow,
  sealUserTotp,
  toApiKey,
  toSession,
  toUserDecrypted,
  type UserRow,
} from '../row-mappers.js';
import { notFound, now } from '../sqlite/repositories/sql-helpers.js';
import type { ApiKeyRepository, SessionRepository, UserRepository } from '../store.port.js';
import { asciiLower, changes, countTable, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

type UserPatch = Partial<Pick<User, 'passwordHash' | 'role' | 'disabled' | 'totpSecret' | 'lastLoginAt'>>;

/** PostgreSQL admin users; the TOTP secret is encrypted with the data cipher (same AAD as SQLite). */
export class PgUserRepository implements UserRepository {
  constructor(
    private readonly runner: PgRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: UserRow): User {
    return toUserDecrypted(row, this.cipher);
  }

  private encryptSecret(id: string, secret: string | null): Buffer | null {
    return sealUserTotp(this.cipher, id, secret);
  }

  async create(user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>): Promise<User> {
    const row = await rowOf<UserRow>(
      this.runner,
      `INSERT INTO users (id, username, password_hash, role, disabled, totp_secret_enc, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
      [
        user.id,
        user.username,
        user.passwordHash,
        user.role,
        user.disabled ? 1 : 0,
        this.encryptSecret(user.id, user.totpSecret),
        now(),
      ],
    );
    return this.decode(required(row, 'row'));
  }

  /**
   * Creates the first admin only while no enabled admin exists; throws `SETUP_ALREADY_DONE` otherwise. Nodes may run
   * first-run setup together: an advisory lock serialises them, and the check runs after it (a fresh snapshot), so
   * exactly one setup creates an admin. A single INSERT … WHERE NOT EXISTS would not do: under read committed, two
   * of them can both see no admin.
   */
  async createFirstAdmin(
    user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt' | 'role'>,
  ): Promise<User> {
    const secret = this.encryptSecret(user.id, user.totpSecret);
    return this.runner.atomic(async (tx) => {
      await tx.query(
        "SELECT pg_advisory_xact_lock(hashtext('facegate-first-admin'), hashtext(current_schema()))",
      );
      const row = await rowOf<UserRow>(
        tx,
        `INSERT INTO users (id, username, password_hash, role, disabled, totp_secret_enc, created_at, updated_at)
         SELECT $1, $2, $3, 'admin', $4, $5, $6, $6
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled = 0) RETURNING *`,
        [user.id, user.username, user.passwordHash, user.disabled ? 1 : 0, secret, now()],
      );
      if (!row) throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
      return this.decode(row);
    });
  }

  async get(id: string): Promise<User | undefined> {
    const row = await rowOf<UserRow>(this.runner, 'SELECT * FROM users WHERE id = $1', [id]);
    return row && this.decode(row);
  }

  async getByUsername(username: string): Promise<User | undefined> {
    const row = await rowOf<UserRow>(this.runner, 'SELECT * FROM users WHERE lower(username) = $1', [
      asciiLower(username),
    ]);
    return row && this.decode(row);
  }

  async list(): Promise<User[]> {
    const rows = await rowsOf<UserRow>(this.runner, 'SELECT * FROM users ORDER BY lower(username), id');
    return rows.map((row) => this.decode(row));
  }

  async update(id: string, patch: UserPatch): Promise<User> {
    const assignments: Array<[string, unknown]> = [];
    if (patch.passwordHash !== undefined) assignments.push(['password_hash', patch.passwordHash]);
    if (patch.role !== undefined) assignments.push(['role', patch.role]);
    if (patch.disabled !== undefined) assignments.push(['disabled', patch.disabled ? 1 : 0]);
    if (patch.totpSecret !== undefined) {
      assignments.push(['totp_secret_enc', this.encryptSecret(id, patch.totpSecret)]);
    }
    if (patch.lastLoginAt !== undefined) assignments.push(['last_login_at', patch.lastLoginAt]);
    const sets = assignments.map(([column], i) => `${column} = $${i + 1}`);
    const params = [...assignments.map(([, value]) => value), now(), id];
    const row =
      sets.length > 0
        ? await rowOf<UserRow>(
            this.runner,
            `UPDATE users SET ${sets.join(', ')}, updated_at = $${params.length - 1}
             WHERE id = $${params.length} RETURNING *`,
            params,
          )
        : await rowOf<UserRow>(this.runner, 'SELECT * FROM users WHERE id = $1', [id]);
    if (!row) throw notFound('User');
    return this.decode(row);
  }

  async delete(id: string): Promise<boolean> {
    return (await changes(this.runner, 'DELETE FROM users WHERE id = $1', [id])) > 0;
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    let rewritten = 0;
    const rows = await rowsOf<{ id: string; totp_secret_enc: Buffer }>(
      this.runner,
      'SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL',
    );
    for (const row of rows) {
      if (!this.cipher.needsRotation(row.totp_secret_enc)) continue;
      const fresh = rotateUserTotp(this.cipher, row.id, row.totp_secret_enc);
      rewritten += await changes(
        this.runner,
        'UPDATE users SET totp_secret_enc = $1 WHERE id = $2 AND totp_secret_enc = $3',
        [fresh, row.id, row.totp_secret_enc],
      );
    }
    return rewritten;
  }

  async count(): Promise<number> {
    return countTable(this.runner, 'users');
  }
}

/** PostgreSQL API keys (hashed secrets only). */
export class PgApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(key: Omit<ApiKey, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey> {
    const row = await rowOf<ApiKeyRow>(
      this.runner,
      `INSERT INTO api_keys (id, name, prefix, secret_hash, role, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [key.id, key.name, key.prefix, key.secretHash, key.role, key.createdBy, now()],
    );
    return toApiKey(required(row, 'row'));
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const row = await rowOf<ApiKeyRow>(this.runner, 'SELECT * FROM api_keys WHERE id = $1', [id]);
    return row && toApiKey(row);
  }

  async getByPrefix(prefix: string): Promise<ApiKey | undefined> {
    const row = await rowOf<ApiKeyRow>(this.runner, 'SELECT * FROM api_keys WHERE prefix = $1', [prefix]);
    return row && toApiKey(row);
  }

  async list(): Promise<ApiKey[]> {
    return (await rowsOf<ApiKeyRow>(this.runner, 'SELECT * FROM api_keys ORDER BY created_at DESC, id')).map(
      toApiKey,
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.runner.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  /** Returns false when the key is absent or already revoked. */
  async revoke(id: string, at: string): Promise<boolean> {
    const sql = 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL';
    return (await changes(this.runner, sql, [at, id])) > 0;
  }
}

/** PostgreSQL sessions (ids are token hashes); deleted with their user. */
export class PgSessionRepository implements SessionRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(session: Session): Promise<Session> {
    await this.runner.query(
      'INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [session.id, session.userId, session.csrfToken, session.createdAt, session.expiresAt],
    );
    return { ...session };
  }

  async get(id: string): Promise<Session | undefined> {
    const row = await rowOf<SessionRow>(this.runner, 'SELECT * FROM sessions WHERE id = $1', [id]);
    return row && toSession(row);
  }

  async delete(id: string): Promise<void> {
    await this.runner.query('DELETE FROM sessions WHERE id = $1', [id]);
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.runner.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
  }

  /** Deletes sessions whose `expiresAt` is at or before `now`. */
  async deleteExpired(at: string): Promise<number> {
    return changes(this.runner, 'DELETE FROM sessions WHERE expires_at <= $1', [at]);
  }
}
