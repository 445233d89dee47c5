import { join } from 'node:path';
import type { FacegateConfig } from '../config/config.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { FacegateError } from '../domain/errors.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.port.js';

/** File name of the embedded database inside the data directory. */
export const SQLITE_FILE = 'facegate.db';

/**
 * Opens the configured store: SQLite at `<dataDir>/facegate.db` (migrated on open).
 * PostgreSQL is not implemented yet and is refused with `CONFIG_INVALID`.
 */
export async function createStore(config: FacegateConfig, cipher: DataCipher): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return SqliteStore.open(join(config.dataDir, SQLITE_FILE), cipher);
    case 'postgres':
      throw new FacegateError('CONFIG_INVALID', 'FACEGATE_STORE=postgres is not implemented yet; use sqlite');
    default:
      throw new FacegateError('CONFIG_INVALID', `Unknown store kind "${String(config.store.kind)}"`);
  }
}
