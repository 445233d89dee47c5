import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditQuery, NewAuditEvent } from '../../domain/models.js';
import { required } from '../../util/checked-access.js';
import { auditDetailsJson, auditFilter, encodeAuditCursor } from '../audit-codec.js';
import { type AuditRow, toAuditEvent } from '../row-mappers.js';
import { clampInt, now } from '../sqlite/repositories/sql-helpers.js';
import type { AuditRepository } from '../store.port.js';
import { changes, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** `seq` is a bigint, which node-postgres returns as a string. */
type PgAuditRow = Omit<AuditRow, 'seq'> & { seq: string };

function toEvent(row: PgAuditRow): AuditEvent {
  return toAuditEvent({ ...row, seq: Number(row.seq) });
}

/** PostgreSQL append-only audit log; a trigger refuses UPDATE, only retention deletes. */
export class PgAuditRepository implements AuditRepository {
  constructor(private readonly runner: PgRunner) {}

  async actions(): Promise<string[]> {
    const rows = await rowsOf<{ action: string }>(
      this.runner,
      'SELECT DISTINCT action FROM audit_events ORDER BY action',
    );
    return rows.map((r) => r.action);
  }

  async append(event: NewAuditEvent): Promise<AuditEvent> {
    const details = auditDetailsJson(event.details);
    const row = await rowOf<PgAuditRow>(
      this.runner,
      `INSERT INTO audit_events (id, at, action, outcome, reason, actor_type, actor_id, employee_id, score,
         threshold, engine, ip, duration_ms, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        randomUUID(),
        event.at ?? now(),
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
      ],
    );
    return toEvent(required(row, 'row'));
  }

  /** Newest first; `from` and `to` are inclusive ISO timestamps; limit defaults to 50 (max 1000). */
  async query(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const { clause, params } = auditFilter(query, (n) => `$${n}`);
    const limit = clampInt(query.limit, 50, 1, 1000);
    const rows = await rowsOf<PgAuditRow>(
      this.runner,
      `SELECT * FROM audit_events ${clause} ORDER BY at DESC, seq DESC LIMIT $${params.length + 1}`,
      [...params, limit + 1],
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page.at(-1);
    return {
      items: page.map(toEvent),
      nextCursor: more && last ? encodeAuditCursor({ at: last.at, seq: Number(last.seq) }) : null,
    };
  }

  async deleteOlderThan(before: string): Promise<number> {
    return changes(this.runner, 'DELETE FROM audit_events WHERE at < $1', [before]);
  }
}
