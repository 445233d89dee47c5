import type { ApiKey } from '../../../domain/models.js';
import { type ApiKeyRow, toApiKey } from '../../row-mappers.js';
import type { ApiKeyRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { now, rowById } from './sql-helpers.js';

/** SQLite API keys (hashed secrets only). */
export class SqliteApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(key: Omit<ApiKey, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey> {
    const at = now();
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO api_keys (id, name, prefix, secret_hash, role, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        key.id,
        key.name,
        key.prefix,
        key.secretHash,
        key.role,
        key.createdBy,
        at,
      );
      return toApiKey(rowById<ApiKeyRow>(sql, 'api_keys', key.id));
    });
  }

  async get(id: string): Promise<ApiKey | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?', id);
      return row && toApiKey(row);
    });
  }

  async getByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE prefix = ?', prefix);
      return row && toApiKey(row);
    });
  }

  async list(): Promise<ApiKey[]> {
    return this.runner.run((sql) =>
      sql.all<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, id').map(toApiKey),
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.runner.run((sql) => sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', at, id));
  }

  /** Returns false when the key is absent or already revoked. */
  async revoke(id: string, at: string): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', at, id).changes > 0,
    );
  }
}
