import type { Pool, PoolClient } from 'pg';
import { MIGRATIONS, type Migration, type MigrationContext } from '../sqlite/migrations.js';

/**
 * Brings a PostgreSQL schema up to date from the one migration list (each step's `postgres` DDL): creates
 * `schema_migrations`, then applies every missing step in order, each in its own transaction. An advisory lock
 * per schema makes nodes that start together wait for one another, so no step is ever applied twice.
 * Returns the versions applied now.
 */
export async function migratePostgres(
  pool: Pool,
  migrations: readonly Migration[] = MIGRATIONS,
  context: MigrationContext = {},
): Promise<number[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('facegate-migrate'), hashtext(current_schema()))");
    try {
      return await applyMissing(client, migrations, context);
    } finally {
      await client.query(
        "SELECT pg_advisory_unlock(hashtext('facegate-migrate'), hashtext(current_schema()))",
      );
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

async function applyMissing(
  client: PoolClient,
  migrations: readonly Migration[],
  context: MigrationContext,
): Promise<number[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
      migration.version,
    ]);
    if (done.rowCount) continue;
    await client.query('BEGIN');
    try {
      await client.query(migration.postgres);
      await migration.postgresRun?.(client, context);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    applied.push(migration.version);
  }
  return applied;
}
