import type { SettingsRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { now } from './sql-helpers.js';

/** SQLite JSON settings; setting `undefined` removes the key. */
export class SqliteSettingsRepository implements SettingsRepository {
  constructor(private readonly runner: SqlRunner) {}

  async get<T>(key: string): Promise<T | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key);
      return row === undefined ? undefined : (JSON.parse(row.value) as T);
    });
  }

  async set<T>(key: string, value: T): Promise<void> {
    const json = value === undefined ? undefined : JSON.stringify(value);
    await this.runner.run((sql) => {
      if (json === undefined) sql.run('DELETE FROM settings WHERE key = ?', key);
      else
        sql.run(
          `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          key,
          json,
          now(),
        );
    });
  }

  async all(): Promise<Record<string, unknown>> {
    return this.runner.run((sql) => {
      const out: Record<string, unknown> = {};
      for (const row of sql.all<{ key: string; value: string }>(
        'SELECT key, value FROM settings ORDER BY key',
      )) {
        out[row.key] = JSON.parse(row.value);
      }
      return out;
    });
  }
}
