import type { Database, RunResult, Statement } from 'better-sqlite3';
import { FacegateError } from '../../domain/errors.js';

/** Positional or named (`@name`) statement parameters. */
export type SqlParams = unknown[] | [Record<string, unknown>];

/** A connection with a prepared-statement cache. */
export class Sql {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  /** Returns the cached prepared statement of `sql`. */
  stmt(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /** First row or undefined. */
  get<T>(sql: string, ...params: SqlParams): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  /** Every row. */
  all<T>(sql: string, ...params: SqlParams): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  /** Runs a write. */
  run(sql: string, ...params: SqlParams): RunResult {
    return this.stmt(sql).run(...params);
  }
}

/** Executes synchronous database work on behalf of a repository (serialised by the store). */
export interface SqlRunner {
  run<T>(fn: (sql: Sql) => T): Promise<T>;
  /** Called after an employee row was deleted (erasure): the store checkpoints the WAL once it is durable. */
  erased(): void;
}

const UNIQUE_MESSAGES: Record<string, string> = {
  'employees.badge': 'An employee with this badge already exists',
  'employees.id': 'An employee with this id already exists',
  'face_templates.id': 'A template with this id already exists',
  'users.username': 'A user with this username already exists',
  'users.id': 'A user with this id already exists',
  'api_keys.prefix': 'An API key with this prefix already exists',
  'api_keys.id': 'An API key with this id already exists',
  'sessions.id': 'A session with this id already exists',
  'second_factors.credential_id': 'This passkey is already registered',
};

/** Maps SQLite constraint errors to stable FacegateError codes; other errors pass through unchanged. */
export function mapSqliteError(error: unknown): unknown {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return error;
  const code = error.code;
  const constraint = /constraint failed: ([\w.]+)/.exec(error.message)?.[1];
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const message = (constraint && UNIQUE_MESSAGES[constraint]) ?? 'Record already exists';
    return new FacegateError('CONFLICT', message, { constraint }, { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new FacegateError('NOT_FOUND', 'Referenced record does not exist', undefined, { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_CHECK' || code === 'SQLITE_CONSTRAINT_NOTNULL') {
    return new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint }, { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new FacegateError('OVERLOADED', 'Database is busy', undefined, { cause: error });
  }
  return error;
}
