import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import { SerialQueue } from '../../util/serial-queue.js';
import type { Store } from '../store.port.js';
import type { StoreTransfer } from '../store-transfer.port.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { SqliteRepositories } from './repositories/repository-set.js';
import { mapSqliteError, Sql, type SqlRunner } from './sql-runner.js';
import { SqliteTransfer, type SqliteWork } from './sqlite-transfer.js';

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Milliseconds to wait for another process's write lock. */
  busyTimeoutMs?: number;
}

interface TxState {
  store: SqliteStore;
  active: boolean;
  erased: boolean;
  savepoints: number;
}

const txContext = new AsyncLocalStorage<TxState>();

function run<T>(sql: Sql, fn: (sql: Sql) => T): T {
  try {
    return fn(sql);
  } catch (error) {
    throw mapSqliteError(error);
  }
}

/**
 * The embedded store: one better-sqlite3 connection (WAL, foreign keys, busy timeout, secure_delete).
 * better-sqlite3 is synchronous but `transaction(fn)` takes an async fn, so a serial queue serialises the
 * connection: while a transaction is open every other call waits, and nothing outside joins it.
 */
export class SqliteStore extends SqliteRepositories implements Store {
  readonly kind = 'sqlite';
  private readonly queue = new SerialQueue();
  private readonly sql: Sql;
  private closed = false;
  /** Every table as stored, for `facegate export` / `import`. */
  readonly transfer: StoreTransfer;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly cipher: DataCipher,
    private readonly busyTimeoutMs: number,
  ) {
    const runner: SqlRunner = {
      run: (fn) => this.runLocked(fn),
      erased: () => this.checkpoint(),
    };
    super(runner, cipher);
    this.sql = new Sql(db);
    this.transfer = new SqliteTransfer({
      run: (fn) => this.runLocked(fn),
      transaction: (fn) => this.rawTransaction(fn),
      readSnapshot: (fn) => this.readSnapshot(fn),
    });
  }

  /** Opens (creating when needed) the database file and applies pending migrations. */
  static open(path: string, cipher: DataCipher, options: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    const db = new BetterSqlite3(path, { timeout: busyTimeoutMs });
    try {
      // Owner-only: names and e-mails are in clear; SQLite gives -wal/-shm the same mode.
      if (path !== ':memory:') chmodSync(path, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Erased rows are overwritten with zeros instead of lingering in free pages.
      db.pragma('secure_delete = ON');
      migrate(db, MIGRATIONS, { cipher });
    } catch (error) {
      db.close();
      throw mapSqliteError(error);
    }
    return new SqliteStore(db, cipher, busyTimeoutMs);
  }

  /** The underlying connection, for tests and maintenance tools. */
  get database(): BetterSqlite3.Database {
    return this.db;
  }

  private assertUsable(): void {
    if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
    const tx = txContext.getStore();
    // Using the root store inside its own transaction would wait for itself forever.
    if (tx?.active && tx.store === this) {
      throw new FacegateError(
        'INTERNAL',
        'Use the transaction store passed to transaction(fn), not the root store',
      );
    }
  }

  private async runLocked<T>(fn: (sql: Sql) => T): Promise<T> {
    this.assertUsable();
    if (!this.queue.busy) return run(this.sql, fn);
    return this.queue.run(() => {
      if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
      return run(this.sql, fn);
    });
  }

  private checkpoint(): void {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Best effort: a busy checkpoint is retried by SQLite's automatic checkpoints.
    }
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    this.assertUsable();
    return this.queue.run(async () => {
      const state: TxState = { store: this, active: true, erased: false, savepoints: 0 };
      try {
        if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
        run(this.sql, (sql) => sql.db.exec('BEGIN IMMEDIATE'));
        try {
          const result = await txContext.run(state, () => fn(this.transactionView(state)));
          run(this.sql, (sql) => sql.db.exec('COMMIT'));
          return result;
        } catch (error) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw error;
        }
      } finally {
        state.active = false;
        if (state.erased && !this.db.inTransaction) this.checkpoint();
      }
    });
  }

  /** `fn` between BEGIN IMMEDIATE and COMMIT (ROLLBACK when it throws), holding the connection throughout. */
  private rawTransaction<T>(fn: (work: SqliteWork) => Promise<T>): Promise<T> {
    this.assertUsable();
    return this.queue.run(async () => {
      if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
      run(this.sql, (sql) => sql.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(async (work) => run(this.sql, work));
        run(this.sql, (sql) => sql.db.exec('COMMIT'));
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /**
   * `fn` inside one read transaction on a read-only connection of its own. WAL gives that transaction one
   * snapshot while the store (and other processes) go on writing. Not on the store's connection: every caller
   * shares it, so a transaction there would either hold them all up or take their writes into the snapshot.
   */
  private async readSnapshot<T>(fn: (work: SqliteWork) => Promise<T>): Promise<T> {
    this.assertUsable();
    if (this.db.memory) {
      throw new FacegateError(
        'CONFIG_INVALID',
        'An in-memory database has no second connection to read from',
      );
    }
    const reader = new BetterSqlite3(this.db.name, {
      readonly: true,
      fileMustExist: true,
      timeout: this.busyTimeoutMs,
    });
    const sql = new Sql(reader);
    let active = true;
    try {
      reader.exec('BEGIN');
      // A deferred transaction takes its snapshot at its first read: now, before fn runs.
      run(sql, (s) => s.get('SELECT count(*) AS n FROM sqlite_master'));
      const result = await fn(async (work) => {
        if (!active) throw new FacegateError('INTERNAL', 'Snapshot read after its snapshot ended');
        return run(sql, work);
      });
      reader.exec('COMMIT');
      return result;
    } finally {
      active = false;
      reader.close();
      // An erasure during the snapshot could not overwrite its rows in the file while the snapshot held them.
      await this.runLocked(() => this.checkpoint()).catch(() => undefined);
    }
  }

  private transactionView(state: TxState): Store {
    const runner: SqlRunner = {
      run: async (fn) => {
        if (!state.active) {
          throw new FacegateError('INTERNAL', 'Transaction store used after its transaction ended');
        }
        return run(this.sql, fn);
      },
      erased: () => {
        state.erased = true;
      },
    };
    const repositories = new SqliteRepositories(runner, this.cipher);
    const view: Store = {
      kind: this.kind,
      employees: repositories.employees,
      templates: repositories.templates,
      audit: repositories.audit,
      users: repositories.users,
      apiKeys: repositories.apiKeys,
      kioskPairings: repositories.kioskPairings,
      sessions: repositories.sessions,
      lockouts: repositories.lockouts,
      settings: repositories.settings,
      secondFactors: repositories.secondFactors,
      invitations: repositories.invitations,
      enrolmentSubmissions: repositories.enrolmentSubmissions,
      // Nested transactions are savepoints of the open one.
      transaction: async <U>(inner: (tx: Store) => Promise<U>): Promise<U> => {
        if (!state.active) throw new FacegateError('INTERNAL', 'Transaction already ended');
        const name = `sp${++state.savepoints}`;
        this.db.exec(`SAVEPOINT ${name}`);
        try {
          const result = await inner(view);
          this.db.exec(`RELEASE ${name}`);
          return result;
        } catch (error) {
          this.db.exec(`ROLLBACK TO ${name}`);
          this.db.exec(`RELEASE ${name}`);
          throw error;
        }
      },
      ping: async () => {
        run(this.sql, (sql) => sql.get('SELECT 1'));
      },
      close: async () => {
        throw new FacegateError('INTERNAL', 'Cannot close the store inside a transaction');
      },
    };
    return view;
  }

  async ping(): Promise<void> {
    await this.runLocked((sql) => sql.get('SELECT 1'));
  }

  /** Re-encrypts templates and TOTP secrets under the current data key (after rotation); returns how many changed. */
  async reencrypt(): Promise<number> {
    return (
      (await this.templates.reencrypt()) +
      (await this.users.reencrypt()) +
      (await this.secondFactors.reencrypt())
    );
  }

  /** Waits for an open transaction, then closes the connection; later calls fail with `NOT_READY`. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.checkpoint();
      this.db.close();
    });
  }
}
