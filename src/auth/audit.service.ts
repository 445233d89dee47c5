import { type Actor, seesDecisionDetails } from '../domain/access.js';
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
    const page = await this.store.audit.query({
      ...query,
      limit: Math.min(query.limit ?? 100, MAX_AUDIT_PAGE),
    });
    return { items: page.items.map(viewOf(actor)), nextCursor: page.nextCursor };
  }

  /** Retention: removes events older than `days`; returns how many (system task, no actor). */
  async applyRetention(days: number, now: Date = this.clock.now()): Promise<number> {
    const before = new Date(now.getTime() - days * 86_400_000).toISOString();
    return this.store.audit.deleteOlderThan(before);
  }

  /** Every matching event as CSV or JSON-lines chunks, streamed page by page. */
  async *export(actor: Actor, query: AuditQuery, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
    await this.policy.authorize(actor, 'audit:read');
    const view = viewOf(actor);
    if (format === 'csv') yield `${AUDIT_COLUMNS.join(',')}\n`;
    let cursor: string | undefined = query.cursor;
    do {
      const page = await this.store.audit.query({ ...query, cursor, limit: MAX_AUDIT_PAGE });
      let chunk = '';
      for (const event of page.items.map(view)) {
        chunk += format === 'csv' ? `${toCsvRow(event)}\n` : `${JSON.stringify(event)}\n`;
      }
      if (chunk) yield chunk;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

/** Keys of score-like values in audit details: similarity scores, thresholds, margins, runner-up scores. */
const SCORE_KEY = /score|threshold|similarity|margin|distance|second_?best|runner_?up|confidence/i;

/**
 * How an audit record reads for this viewer. Scores are a hill-climbing oracle (an attacker who sees how close a
 * forged face came can improve it), so only callers that may see decision details (admins) get them; for
 * everyone else `score`, `threshold` and every score-like key of `details`, at any depth, are removed.
 */
export function viewOf(viewer: Actor): (event: AuditEvent) => AuditEvent {
  if (seesDecisionDetails(viewer)) return (event) => event;
  return (event) => ({
    ...event,
    score: null,
    threshold: null,
    details: withoutScores(event.details) as Record<string, unknown>,
  });
}

function withoutScores(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutScores(item, depth + 1));
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!SCORE_KEY.test(key)) kept[key] = withoutScores(item, depth + 1);
  }
  return kept;
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
