import { FacegateError } from '../../../domain/errors.js';
import type { Sql } from '../sql-runner.js';

/** The current time as the ISO string stored in `created_at` / `updated_at` columns. */
export const now = (): string => new Date().toISOString();

/** The `NOT_FOUND` error for a missing record. */
export function notFound(what: string): FacegateError {
  return new FacegateError('NOT_FOUND', `${what} not found`);
}

/** `value` truncated to an integer in [min, max], or `fallback` when absent or not finite. */
export function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

/** A `LIKE … ESCAPE '\'` pattern matching `token` anywhere, with its wildcards escaped. */
export function likePattern(token: string): string {
  return `%${token.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `SELECT count(*)` of a table. */
export function countRows(sql: Sql, table: string): number {
  return sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)?.n ?? 0;
}

/** The row with primary key `id`; throws `INTERNAL` when absent (used right after the row was written). */
export function rowById<R>(sql: Sql, table: string, id: string): R {
  const row = sql.get<R>(`SELECT * FROM ${table} WHERE id = ?`, id);
  if (!row) throw new FacegateError('INTERNAL', `Row ${table}.${id} vanished after it was written`);
  return row;
}

/**
 * Applies `assignments` (column, value) to the row `id` of `table` and bumps its `updated_at`; with no
 * assignments it only reads the row. Returns the row as it now is; throws `NOT_FOUND` (naming `what`) when absent.
 */
export function updateById<R>(
  sql: Sql,
  table: string,
  what: string,
  id: string,
  assignments: ReadonlyArray<readonly [column: string, value: unknown]>,
): R {
  if (assignments.length > 0) {
    const sets = assignments.map(([column]) => `${column} = ?`).join(', ');
    const values = assignments.map(([, value]) => value);
    const result = sql.run(`UPDATE ${table} SET ${sets}, updated_at = ? WHERE id = ?`, ...values, now(), id);
    if (result.changes === 0) throw notFound(what);
  }
  const row = sql.get<R>(`SELECT * FROM ${table} WHERE id = ?`, id);
  if (!row) throw notFound(what);
  return row;
}
