import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditQuery, NewAuditEvent } from '../../../domain/models.js';
import { auditDetailsJson, auditFilter, encodeAuditCursor } from '../../audit-codec.js';
import { type AuditRow, toAuditEvent } from '../../row-mappers.js';
import type { AuditRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { clampInt, now, rowById } from './sql-helpers.js';

/** SQLite append-only audit log; a trigger refuses UPDATE, only retention deletes. */
export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly runner: SqlRunner) {}

  async actions(): Promise<string[]> {
    return this.runner.run((sql) =>
      sql
        .all<{ action: string }>('SELECT DISTINCT action FROM audit_events ORDER BY action')
        .map((r) => r.action),
    );
  }

  async append(event: NewAuditEvent): Promise<AuditEvent> {
    const id = randomUUID();
    const at = event.at ?? now();
    const details = auditDetailsJson(event.details);
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO audit_events (id, at, action, outcome, reason, actor_type, actor_id, employee_id, score,
           threshold, engine, ip, duration_ms, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        at,
        event.action,
        event.outcome,
        event.reason ?? null,
        event.actorType,
        event.actorId ?? null,
        event.employeeId ?? null,
        event.score ?? null,
        event.threshold ?? null,
        event.engine ?? null,
        event.ip ?? null,
        event.durationMs ?? null,
        details,
      );
      return toAuditEvent(rowById<AuditRow>(sql, 'audit_events', id));
    });
  }

  /** Newest first; `from` and `to` are inclusive ISO timestamps; limit defaults to 50 (max 1000). */
  async query(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const { clause, params } = auditFilter(query, () => '?');
    const limit = clampInt(query.limit, 50, 1, 1000);
    return this.runner.run((sql) => {
      const rows = sql.all<AuditRow>(
        `SELECT * FROM audit_events ${clause} ORDER BY at DESC, seq DESC LIMIT ?`,
        ...params,
        limit + 1,
      );
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const last = page.at(-1);
      return {
        items: page.map(toAuditEvent),
        nextCursor: more && last ? encodeAuditCursor({ at: last.at, seq: last.seq }) : null,
      };
    });
  }

  async deleteOlderThan(before: string): Promise<number> {
    return this.runner.run((sql) => sql.run('DELETE FROM audit_events WHERE at < ?', before).changes);
  }
}
