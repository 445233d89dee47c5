import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import { MIGRATIONS } from '../sqlite/migrations.js';
import type { Store } from '../store.port.js';
import type { StoreTransfer } from '../store-transfer.port.js';
import { PgRepositories } from './pg-repository-set.js';
import { mapPostgresError, type PgRunner } from './pg-runner.js';
import { PgTransfer } from './pg-transfer.js';
import { migratePostgres } from './postgres-migrations.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db`. */
  connectionString: string;
  /** Schema holding facegate's tables (must exist); the server's default search path when absent. */
  schema?: string;
  /** Most connections the node opens. */
  poolSize?: number;
}

interface TxState {
  store: PostgresStore;
  active: boolean;
  savepoints: number;
}

const txContext = new AsyncLocalStorage<TxState>();
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;

/**
 * The scale-out store: a `pg` pool shared by every node's requests. `transaction(fn)` checks one client out of the
 * pool and runs fn's statements on it between BEGIN and COMMIT (ROLLBACK when fn throws); everything outside runs on
 * other connections and so never observes or joins the open transaction. Like SQLite, a failed statement inside
 * a transaction undoes only itself (each write runs under a savepoint), so fn may catch a `CONFLICT` and go on.
 */
export class PostgresStore extends PgRepositories implements Store {
  readonly kind = 'postgres';
  private closed = false;
  /** Every table as stored, for `facegate export` / `import`. */
  readonly transfer: StoreTransfer;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly cipher: DataCipher,
  ) {
    const runner: PgRunner = {
      query: (text, params) => this.rootQuery(text, params),
      atomic: (fn) => this.onOneClient((client) => fn(clientRunner(client))),
    };
    super(runner, cipher);
    this.transfer = new PgTransfer(runner, (fn) => this.readSnapshot(fn));
  }

  /** Connects, applies pending migrations (one node at a time) and returns the store. */
  static async open(options: PostgresStoreOptions, cipher: DataCipher): Promise<PostgresStore> {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new FacegateError('CONFIG_INVALID', `Invalid PostgreSQL schema name "${options.schema}"`);
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool, MIGRATIONS, { cipher });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw mapPostgresError(error);
    }
    return new PostgresStore(pool, cipher);
  }

  private assertUsable(): void {
    if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
    const tx = txContext.getStore();
    // The root store inside its own transaction would run beside it and could wait on its row locks forever.
    if (tx?.active && tx.store === this) {
      throw new FacegateError(
        'INTERNAL',
        'Use the transaction store passed to transaction(fn), not the root store',
      );
    }
  }

  private async rootQuery(text: string, params?: unknown[]): Promise<pg.QueryResult<never>> {
    this.assertUsable();
    try {
      return await this.pool.query(text, params);
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  /** Runs fn between `begin` and COMMIT on a client of its own (ROLLBACK when fn throws), then releases it. */
  private async onOneClient<T>(fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    this.assertUsable();
    const client = await this.pool.connect().catch((error: unknown) => {
      throw mapPostgresError(error);
    });
    let broken = false;
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw mapPostgresError(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * `fn` with a runner on one client inside a REPEATABLE READ, READ ONLY transaction: every statement reads the
   * snapshot taken at its first one, whatever other connections commit meanwhile. The runner refuses use after.
   */
  private readSnapshot<T>(fn: (runner: PgRunner) => Promise<T>): Promise<T> {
    return this.onOneClient(async (client) => {
      const state = { active: true };
      const inner = clientRunner(client);
      const runner: PgRunner = {
        query: (text, params) => {
          if (!state.active) throw new FacegateError('INTERNAL', 'Snapshot read after its snapshot ended');
          return inner.query(text, params);
        },
        atomic: (work) => work(runner),
      };
      try {
        // The snapshot is taken at the first statement, not at BEGIN: now, before fn runs.
        await runner.query('SELECT 1');
        return await fn(runner);
      } finally {
        state.active = false;
      }
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const state: TxState = { store: this, active: true, savepoints: 0 };
    try {
      return await this.onOneClient(async (client) => {
        try {
          return await txContext.run(state, () => fn(this.transactionView(state, client)));
        } finally {
          // Before COMMIT: a leaked transaction store can no longer reach the client once it is released.
          state.active = false;
        }
      });
    } finally {
      state.active = false;
    }
  }

  private transactionView(state: TxState, client: pg.PoolClient): Store {
    const runner = transactionRunner(state, client);
    const repositories = new PgRepositories(runner, this.cipher);
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
        await runner.query(`SAVEPOINT ${name}`);
        try {
          const result = await inner(view);
          await runner.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          await runner.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await runner.query(`RELEASE SAVEPOINT ${name}`);
          throw error;
        }
      },
      ping: async () => {
        await runner.query('SELECT 1');
      },
      close: async () => {
        throw new FacegateError('INTERNAL', 'Cannot close the store inside a transaction');
      },
    };
    return view;
  }

  async ping(): Promise<void> {
    await this.rootQuery('SELECT 1');
  }

  /** Re-encrypts templates, TOTP secrets and second-factor secrets under the current data key (after rotation); returns how many changed. */
  async reencrypt(): Promise<number> {
    return (
      (await this.templates.reencrypt()) +
      (await this.users.reencrypt()) +
      (await this.secondFactors.reencrypt())
    );
  }

  /** Refuses new calls (`NOT_READY`), waits for open transactions to release their client, closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * The runner of one transaction: its statements run one at a time on its client, each write under a savepoint
 * so that a failing write rolls back alone (SQLite's statement atomicity) instead of aborting the transaction.
 */
function transactionRunner(state: TxState, client: pg.PoolClient): PgRunner {
  let queue: Promise<unknown> = Promise.resolve();
  const once = async (text: string, params?: unknown[]): Promise<pg.QueryResult<never>> => {
    if (!state.active)
      throw new FacegateError('INTERNAL', 'Transaction store used after its transaction ended');
    if (!WRITE.test(text)) return client.query(text, params);
    await client.query('SAVEPOINT fg_statement');
    try {
      const result = await client.query<never>(text, params);
      await client.query('RELEASE SAVEPOINT fg_statement');
      return result;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT fg_statement');
      await client.query('RELEASE SAVEPOINT fg_statement');
      throw error;
    }
  };
  const runner: PgRunner = {
    query: (text, params) => {
      const run = queue
        .then(() => once(text, params))
        .catch((error: unknown) => {
          throw mapPostgresError(error);
        });
      queue = run.catch(() => undefined);
      return run;
    },
    // Already one transaction.
    atomic: (fn) => fn(runner),
  };
  return runner;
}

/** Statements on one client inside a short transaction of the store's own (`PgRunner.atomic` on the root store). */
function clientRunner(client: pg.PoolClient): PgRunner {
  const runner: PgRunner = {
    query: (text, params) =>
      client.query<never>(text, params).catch((error: unknown) => {
        throw mapPostgresError(error);
      }),
    atomic: (fn) => fn(runner),
  };
  return runner;
}
