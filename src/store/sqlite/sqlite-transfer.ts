import type { StoreTransfer, TransferReader, TransferRow, TransferTable } from '../store-transfer.port.js';
import { columnList, keysetPages } from '../transfer/transfer-rows.js';
import type { Sql } from './sql-runner.js';

/** Runs synchronous work on the connection: serialised with the store's other calls, or inside one transaction. */
export type SqliteWork = <T>(fn: (sql: Sql) => T) => Promise<T>;

/** What {@link SqliteTransfer} needs from its store. */
export interface SqliteTransferAccess {
  /** One call on the connection, in turn with the store's other calls. */
  run: SqliteWork;
  /** `fn` inside one IMMEDIATE transaction that no other call of the store joins. */
  transaction<T>(fn: (run: SqliteWork) => Promise<T>): Promise<T>;
  /** `fn` inside one read transaction on a connection of its own, which no write of the store joins. */
  readSnapshot<T>(fn: (run: SqliteWork) => Promise<T>): Promise<T>;
}

/** Keyset pages in primary-key order, on whichever connection `run` reaches. */
class SqliteTableReader implements TransferReader {
  constructor(private readonly work: SqliteWork) {}

  schemaVersion(): Promise<number> {
    return this.work(
      (sql) => sql.get<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')?.v ?? 0,
    );
  }

  countRows(table: TransferTable): Promise<number> {
    return this.work((sql) => sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table.name}`)?.n ?? 0);
  }

  readRows(table: TransferTable, batchSize: number): AsyncIterable<TransferRow[]> {
    const select = `SELECT ${columnList(table)} FROM ${table.name}`;
    const order = `ORDER BY ${table.key} LIMIT ?`;
    return keysetPages(table, batchSize, (after) =>
      this.work((sql) =>
        after === undefined
          ? sql.all<Record<string, unknown>>(`${select} ${order}`, batchSize)
          : sql.all<Record<string, unknown>>(`${select} WHERE ${table.key} > ? ${order}`, after, batchSize),
      ),
    );
  }
}

/**
 * {@link StoreTransfer} of the embedded store: keyset pages in primary-key order (live on the store's connection,
 * or in a snapshot on a read-only one), inserts in one transaction.
 */
export class SqliteTransfer extends SqliteTableReader implements StoreTransfer {
  constructor(private readonly access: SqliteTransferAccess) {
    super(access.run);
  }

  snapshot<T>(fn: (reader: TransferReader) => Promise<T>): Promise<T> {
    return this.access.readSnapshot((run) => fn(new SqliteTableReader(run)));
  }

  load(
    fn: (write: (table: TransferTable, rows: readonly TransferRow[]) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    // AUTOINCREMENT keeps sqlite_sequence at the highest explicit seq inserted, so numbering goes on after it.
    return this.access.transaction((run) =>
      fn((table, rows) =>
        run((sql) => {
          const marks = table.columns.map(() => '?').join(', ');
          const insert = sql.stmt(`INSERT INTO ${table.name} (${columnList(table)}) VALUES (${marks})`);
          for (const row of rows) insert.run(...row.map(bindable));
        }),
      ),
    );
  }
}

/** better-sqlite3 binds bytes only as a Buffer. */
function bindable(value: TransferRow[number]): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}
