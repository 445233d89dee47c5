import type { Actor } from '../domain/access.js';
import type { AuditEvent, AuditQuery } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';

/** Audit columns in export order. */
export const AUDIT_COLUMNS = [
  'id',
  'at',
  'action',
  'outcome',
  'reason',
  'actorType',
  'actorId',
  'employeeId',
  'score',
  'threshold',
  'engine',
  'ip',
  'durationMs',
  'details',
] as const;

/** Largest page an audit query returns. */
export const MAX_AUDIT_PAGE = 500;

/** Reads and exports the append-only audit log (auditors and admins). */
export class AuditService extends GuardedService {
  private readonly store: Store;

  constructor(deps: ServiceRuntime & { store: Store }) {
    super(deps);
    this.store = deps.store;
  }

  /** One page of events, newest first, with the cursor of the next page. */
  async query(actor: Actor, query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    await this.policy.authorize(actor, 'audit:read');
    return this.store.audit.query({ ...query, limit: Math.min(query.limit ?? 100, MAX_AUDIT_PAGE) });
  }

  /** Retention: removes events older than `days`; returns how many (system task, no actor). */
  async applyRetention(days: number, now: Date = this.clock.now()): Promise<number> {
    const before = new Date(now.getTime() - days * 86_400_000).toISOString();
    return this.store.audit.deleteOlderThan(before);
  }

  /** Every matching event as CSV or JSON-lines chunks, streamed page by page. */
  async *export(actor: Actor, query: AuditQuery, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
    await this.policy.authorize(actor, 'audit:read');
    if (format === 'csv') yield `${AUDIT_COLUMNS.join(',')}\n`;
    let cursor: string | undefined = query.cursor;
    do {
      const page = await this.store.audit.query({ ...query, cursor, limit: MAX_AUDIT_PAGE });
      let chunk = '';
      for (const event of page.items) {
        chunk += format === 'csv' ? `${toCsvRow(event)}\n` : `${JSON.stringify(event)}\n`;
      }
      if (chunk) yield chunk;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

function toCsvRow(event: AuditEvent): string {
  return AUDIT_COLUMNS.map((column) => {
    const value = event[column];
    return csvCell(column === 'details' ? JSON.stringify(value ?? {}) : value);
  }).join(',');
}

/** Quotes a CSV cell; neutralises spreadsheet formulas (a leading = + - @). */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\n\r']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
