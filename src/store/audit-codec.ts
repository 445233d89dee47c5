import { FacegateError } from '../domain/errors.js';
import type { AuditQuery } from '../domain/models.js';

/** Position of an audit page: the event's time and sequence number. */
export interface AuditCursor {
  at: string;
  seq: number;
}

/** The opaque cursor shared by the SQL stores: base64url of `[at, seq]`. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.seq])).toString('base64url');
}

/** Reads a cursor made by {@link encodeAuditCursor}; throws VALIDATION_FAILED for anything else. */
export function decodeAuditCursor(cursor: string): AuditCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      Number.isSafeInteger(value[1])
    ) {
      return { at: value[0], seq: value[1] as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new FacegateError('VALIDATION_FAILED', 'Invalid audit cursor');
}

/** Serialises audit details, refusing binary values (images, embeddings) outright. */
export function auditDetailsJson(details: Record<string, unknown> | undefined): string {
  return JSON.stringify(details ?? {}, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      throw new FacegateError('INTERNAL', 'Audit details must not contain binary data');
    }
    return value;
  });
}

/** A parameter's placeholder in a statement, from its 1-based position: `?` in SQLite, `$n` in PostgreSQL. */
export type Placeholder = (position: number) => string;

/** The WHERE clause of an audit query in either dialect: its filters and the position after its cursor. */
export function auditFilter(query: AuditQuery, mark: Placeholder): { clause: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return mark(params.length);
  };
  const filters: Array<[string, string | undefined]> = [
    ['at >=', query.from],
    ['at <=', query.to],
    ['employee_id =', query.employeeId],
    ['actor_id =', query.actorId],
    ['action =', query.action],
    ['outcome =', query.outcome],
  ];
  for (const [test, value] of filters) {
    if (value !== undefined) where.push(`${test} ${bind(value)}`);
  }
  if (query.cursor) {
    const cursor = decodeAuditCursor(query.cursor);
    where.push(`(at < ${bind(cursor.at)} OR (at = ${bind(cursor.at)} AND seq < ${bind(cursor.seq)}))`);
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}
