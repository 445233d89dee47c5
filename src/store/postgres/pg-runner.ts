import type { QueryResult, QueryResultRow } from 'pg';
import { FacegateError } from '../../domain/errors.js';

/** Runs one statement for a repository: on the pool (root store) or on a transaction's client. */
export interface PgRunner {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>>;
  /**
   * Runs fn's statements as one transaction: its own on the root store, the open one inside a transaction. Each
   * statement still gets a fresh snapshot (read committed), so a lock taken first is seen by the checks after it.
   */
  atomic<T>(fn: (runner: PgRunner) => Promise<T>): Promise<T>;
}

/**
 * ASCII-only lower case: what `lower()` does on the "C"-collated columns, and what SQLite's NOCASE and LIKE fold.
 * Parameters compared with `lower(column)` are folded here, so both sides fold alike.
 */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Rows of a statement. */
export async function rowsOf<R extends QueryResultRow>(
  runner: PgRunner,
  text: string,
  params?: unknown[],
): Promise<R[]> {
  return (await runner.query<R>(text, params)).rows;
}

/** First row of a statement, or undefined. */
export async function rowOf<R extends QueryResultRow>(
  runner: PgRunner,
  text: string,
  params?: unknown[],
): Promise<R | undefined> {
  return (await runner.query<R>(text, params)).rows[0];
}

/** How many rows a write changed. */
export async function changes(runner: PgRunner, text: string, params?: unknown[]): Promise<number> {
  return (await runner.query(text, params)).rowCount ?? 0;
}

/** `count(*)` of a table. */
export async function countTable(runner: PgRunner, table: string): Promise<number> {
  return (await rowOf<{ n: number }>(runner, `SELECT count(*)::int AS n FROM ${table}`))?.n ?? 0;
}

const UNIQUE_MESSAGES: Record<string, string> = {
  employees_badge: 'An employee with this badge already exists',
  employees_pkey: 'An employee with this id already exists',
  face_templates_pkey: 'A template with this id already exists',
  users_username: 'A user with this username already exists',
  users_pkey: 'A user with this id already exists',
  api_keys_prefix_key: 'An API key with this prefix already exists',
  api_keys_pkey: 'An API key with this id already exists',
  sessions_pkey: 'A session with this id already exists',
  second_factors_credential_id_key: 'This passkey is already registered',
};

/** SQLSTATE classes meaning the server is unreachable or going away. */
const UNAVAILABLE = /^(08|57P0[1-3]|53)/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** Maps PostgreSQL errors to the same stable FacegateError codes as the SQLite store; others pass through. */
export function mapPostgresError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof FacegateError) return error;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const constraint =
    'constraint' in error && typeof error.constraint === 'string' ? error.constraint : undefined;
  if (code === '23505') {
    const message = (constraint && UNIQUE_MESSAGES[constraint]) ?? 'Record already exists';
    return new FacegateError('CONFLICT', message, { constraint }, { cause: error });
  }
  if (code === '23503') {
    return new FacegateError('NOT_FOUND', 'Referenced record does not exist', undefined, { cause: error });
  }
  if (code === '23514' || code === '23502' || code === '22001') {
    return new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint }, { cause: error });
  }
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return new FacegateError('OVERLOADED', 'Database is busy', undefined, { cause: error });
  }
  if (
    (code && (UNAVAILABLE.test(code) || NETWORK.has(code))) ||
    /pool after calling end/.test(error.message)
  ) {
    return new FacegateError('NOT_READY', 'Database is unreachable', undefined, { cause: error });
  }
  return error;
}
