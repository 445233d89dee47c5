import type { LockoutState } from '../../../domain/models.js';
import { type LockoutRow, toLockout } from '../../row-mappers.js';
import type { LockoutRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';

/** SQLite lockout counters. */
export class SqliteLockoutRepository implements LockoutRepository {
  constructor(private readonly runner: SqlRunner) {}

  async get(subject: string): Promise<LockoutState | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<LockoutRow>('SELECT * FROM lockouts WHERE subject = ?', subject);
      return row && toLockout(row);
    });
  }

  async put(state: LockoutState): Promise<void> {
    await this.runner.run((sql) =>
      sql.run(
        `INSERT INTO lockouts (subject, consecutive_failures, total_failures, locked_until, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           total_failures = excluded.total_failures, locked_until = excluded.locked_until,
           updated_at = excluded.updated_at`,
        state.subject,
        state.consecutiveFailures,
        state.totalFailures,
        state.lockedUntil,
        state.updatedAt,
      ),
    );
  }

  async clear(subject: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM lockouts WHERE subject = ?', subject));
  }

  async list(): Promise<LockoutState[]> {
    return this.runner.run((sql) =>
      sql.all<LockoutRow>('SELECT * FROM lockouts ORDER BY subject').map(toLockout),
    );
  }
}
