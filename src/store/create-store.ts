import { join } from 'node:path';
import type { FacegateConfig } from '../config/config.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { FacegateError } from '../domain/errors.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.port.js';

/** File name of the embedded database inside the data directory. */
export const SQLITE_FILE = 'facegate.db';

/**
 * Opens the configured store, migrated on open: SQLite at `<dataDir>/facegate.db`, or PostgreSQL at
 * `FACEGATE_DATABASE_URL` (its search path chooses the schema).
 */
export async function createStore(config: FacegateConfig, cipher: DataCipher): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return SqliteStore.open(join(config.dataDir, SQLITE_FILE), cipher);
    case 'postgres':
      if (!config.store.postgresUrl) {
        throw new FacegateError(
          'CONFIG_INVALID',
          'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
        );
      }
      return PostgresStore.open({ connectionString: config.store.postgresUrl }, cipher);
    default:
      throw new FacegateError('CONFIG_INVALID', `Unknown store kind "${String(config.store.kind)}"`);
  }
}
