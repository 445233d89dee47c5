import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test database: `FACEGATE_TEST_DATABASE_URL`, else the local server CI runs (trust auth, database `test`). */
export const TEST_DATABASE_URL =
  process.env.FACEGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Fails with one clear message when PostgreSQL is not reachable: the PostgreSQL suites must never skip silently.
 */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is required by this suite and is not reachable at ${TEST_DATABASE_URL} (${String(error)}). ` +
        'Start it (check with `pg_isready -h 127.0.0.1`) or point FACEGATE_TEST_DATABASE_URL at one.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema of its own for one test, so runs and parallel files never see each other's tables. */
export class TestSchema {
  readonly name = `fg_test_${randomBytes(6).toString('hex')}`;
  private readonly admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });

  async create(): Promise<this> {
    await this.admin.query(`CREATE SCHEMA ${this.name}`);
    return this;
  }

  /** Runs raw SQL inside the schema; `?` placeholders become `$1`, `$2`... */
  async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const client = await this.admin.connect();
    try {
      await client.query(`SET search_path TO ${this.name}`);
      return (await client.query(text, params)).rows;
    } finally {
      await client.query('RESET search_path').catch(() => undefined);
      client.release();
    }
  }

  async drop(): Promise<void> {
    try {
      await this.admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
    } finally {
      await this.admin.end();
    }
  }
}
