import { FacegateError } from '../domain/errors.js';

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
