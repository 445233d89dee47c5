import type { LockoutState } from '../../domain/models.js';
import { type LockoutRow, toLockout } from '../row-mappers.js';
import { now } from '../sqlite/repositories/sql-helpers.js';
import type { LockoutRepository, SettingsRepository } from '../store.port.js';
import { type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** PostgreSQL lockout counters. */
export class PgLockoutRepository implements LockoutRepository {
  constructor(private readonly runner: PgRunner) {}

  async get(subject: string): Promise<LockoutState | undefined> {
    const row = await rowOf<LockoutRow>(this.runner, 'SELECT * FROM lockouts WHERE subject = $1', [subject]);
    return row && toLockout(row);
  }

  async put(state: LockoutState): Promise<void> {
    await this.runner.query(
      `INSERT INTO lockouts (subject, consecutive_failures, total_failures, locked_until, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (subject) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
         total_failures = excluded.total_failures, locked_until = excluded.locked_until,
         updated_at = excluded.updated_at`,
      [state.subject, state.consecutiveFailures, state.totalFailures, state.lockedUntil, state.updatedAt],
    );
  }

  async clear(subject: string): Promise<void> {
    await this.runner.query('DELETE FROM lockouts WHERE subject = $1', [subject]);
  }

  async list(): Promise<LockoutState[]> {
    return (await rowsOf<LockoutRow>(this.runner, 'SELECT * FROM lockouts ORDER BY subject')).map(toLockout);
  }
}

/** PostgreSQL JSON settings (stored as text, as in SQLite); setting `undefined` removes the key. */
export class PgSettingsRepository implements SettingsRepository {
  constructor(private readonly runner: PgRunner) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await rowOf<{ value: string }>(this.runner, 'SELECT value FROM settings WHERE key = $1', [
      key,
    ]);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  async set<T>(key: string, value: T): Promise<void> {
    if (value === undefined) {
      await this.runner.query('DELETE FROM settings WHERE key = $1', [key]);
      return;
    }
    await this.runner.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), now()],
    );
  }

  async all(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const rows = await rowsOf<{ key: string; value: string }>(
      this.runner,
      'SELECT key, value FROM settings ORDER BY key',
    );
    for (const row of rows) out[row.key] = JSON.parse(row.value);
    return out;
  }
}
