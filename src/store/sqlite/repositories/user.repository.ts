import type { DataCipher } from '../../../crypto/data-cipher.js';
import { FacegateError } from '../../../domain/errors.js';
import type { User } from '../../../domain/models.js';
import { rotateUserTotp, sealUserTotp, toUserDecrypted, type UserRow } from '../../row-mappers.js';
import type { UserRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { countRows, now, rowById, updateById } from './sql-helpers.js';

type UserPatch = Partial<Pick<User, 'passwordHash' | 'role' | 'disabled' | 'totpSecret' | 'lastLoginAt'>>;

/** SQLite admin users; the TOTP secret is encrypted with the data cipher. */
export class SqliteUserRepository implements UserRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: UserRow): User {
    return toUserDecrypted(row, this.cipher);
  }

  private encryptSecret(id: string, secret: string | null): Buffer | null {
    return sealUserTotp(this.cipher, id, secret);
  }

  async create(user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>): Promise<User> {
    const at = now();
    const secret = this.encryptSecret(user.id, user.totpSecret);
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO users (id, username, password_hash, role, disabled, totp_secret_enc, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        user.id,
        user.username,
        user.passwordHash,
        user.role,
        user.disabled ? 1 : 0,
        secret,
        at,
        at,
      );
      return this.decode(rowById<UserRow>(sql, 'users', user.id));
    });
  }

  /** One INSERT … SELECT … WHERE NOT EXISTS, run under SQLite's write lock: two setups cannot both pass. */
  async createFirstAdmin(
    user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt' | 'role'>,
  ): Promise<User> {
    const at = now();
    const secret = this.encryptSecret(user.id, user.totpSecret);
    return this.runner.run((sql) => {
      const inserted = sql.run(
        `INSERT INTO users (id, username, password_hash, role, disabled, totp_secret_enc, created_at, updated_at)
         SELECT ?, ?, ?, 'admin', ?, ?, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled = 0)`,
        user.id,
        user.username,
        user.passwordHash,
        user.disabled ? 1 : 0,
        secret,
        at,
        at,
      );
      if (inserted.changes === 0) {
        throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
      }
      return this.decode(rowById<UserRow>(sql, 'users', user.id));
    });
  }

  async get(id: string): Promise<User | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<UserRow>('SELECT * FROM users WHERE id = ?', id);
      return row && this.decode(row);
    });
  }

  async getByUsername(username: string): Promise<User | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<UserRow>('SELECT * FROM users WHERE username = ?', username);
      return row && this.decode(row);
    });
  }

  async list(): Promise<User[]> {
    return this.runner.run((sql) =>
      sql.all<UserRow>('SELECT * FROM users ORDER BY username COLLATE NOCASE').map((row) => this.decode(row)),
    );
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
    return this.runner.run((sql) => this.decode(updateById<UserRow>(sql, 'users', 'User', id, assignments)));
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => sql.run('DELETE FROM users WHERE id = ?', id).changes > 0);
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    return this.runner.run((sql) => {
      let rewritten = 0;
      const rows = sql.all<{ id: string; totp_secret_enc: Buffer }>(
        'SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL',
      );
      for (const row of rows) {
        if (!this.cipher.needsRotation(row.totp_secret_enc)) continue;
        const fresh = rotateUserTotp(this.cipher, row.id, row.totp_secret_enc);
        sql.run('UPDATE users SET totp_secret_enc = ? WHERE id = ?', fresh, row.id);
        rewritten++;
      }
      return rewritten;
    });
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => countRows(sql, 'users'));
  }
}
