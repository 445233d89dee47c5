import type { Session } from '../../../domain/models.js';
import { type SessionRow, toSession } from '../../row-mappers.js';
import type { SessionRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';

/** SQLite sessions (ids are token hashes); deleted with their user. */
export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(session: Session): Promise<Session> {
    return this.runner.run((sql) => {
      sql.run(
        'INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        session.id,
        session.userId,
        session.csrfToken,
        session.createdAt,
        session.expiresAt,
      );
      return { ...session };
    });
  }

  async get(id: string): Promise<Session | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
      return row && toSession(row);
    });
  }

  async delete(id: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE id = ?', id));
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE user_id = ?', userId));
  }

  /** Deletes sessions whose `expiresAt` is at or before `now`. */
  async deleteExpired(at: string): Promise<number> {
    return this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE expires_at <= ?', at).changes);
  }
}
