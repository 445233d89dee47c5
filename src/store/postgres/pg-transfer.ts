import type { StoreTransfer, TransferReader, TransferRow, TransferTable } from '../store-transfer.port.js';
import { columnList, hasTextKey, keysetPages } from '../transfer/transfer-rows.js';
import { countTable, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** Most parameters of one multi-row INSERT (PostgreSQL allows 65535). */
const MAX_PARAMS = 30_000;

/** Runs `fn` with a runner whose statements all read one snapshot (a read-only transaction on one client). */
export type PgSnapshotOpener = <T>(fn: (runner: PgRunner) => Promise<T>) => Promise<T>;

/** Keyset pages in primary-key order, text keys compared bytewise (`COLLATE "C"`, as SQLite's BINARY does). */
class PgTableReader implements TransferReader {
  constructor(protected readonly runner: PgRunner) {}

  async schemaVersion(): Promise<number> {
    return (
      (await rowOf<{ v: number | null }>(this.runner, 'SELECT max(version) AS v FROM schema_migrations'))
        ?.v ?? 0
    );
  }

  countRows(table: TransferTable): Promise<number> {
    return countTable(this.runner, table.name);
  }

  readRows(table: TransferTable, batchSize: number): AsyncIterable<TransferRow[]> {
    const key = hasTextKey(table) ? `${table.key} COLLATE "C"` : table.key;
    const select = `SELECT ${columnList(table)} FROM ${table.name}`;
    return keysetPages(table, batchSize, (after) =>
      after === undefined
        ? rowsOf(this.runner, `${select} ORDER BY ${key} LIMIT $1`, [batchSize])
        : rowsOf(this.runner, `${select} WHERE ${key} > $1 ORDER BY ${key} LIMIT $2`, [after, batchSize]),
    );
  }
}

/**
 * {@link StoreTransfer} of the PostgreSQL store: keyset pages (live on the pool, or in one snapshot), multi-row
 * inserts in one transaction of the store's own.
 */
export class PgTransfer extends PgTableReader implements StoreTransfer {
  constructor(
    runner: PgRunner,
    private readonly openSnapshot: PgSnapshotOpener,
  ) {
    super(runner);
  }

  snapshot<T>(fn: (reader: TransferReader) => Promise<T>): Promise<T> {
    return this.openSnapshot((runner) => fn(new PgTableReader(runner)));
  }

  load(
    fn: (write: (table: TransferTable, rows: readonly TransferRow[]) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    return this.runner.atomic(async (tx) => {
      await fn((table, rows) => insertRows(tx, table, rows));
      // Audit numbers were given explicitly: the identity goes on after the highest one.
      await tx.query(
        `SELECT setval(pg_get_serial_sequence('audit_events', 'seq'),
           COALESCE((SELECT max(seq) FROM audit_events), 0) + 1, false)`,
      );
    });
  }
}

async function insertRows(
  runner: PgRunner,
  table: TransferTable,
  rows: readonly TransferRow[],
): Promise<void> {
  const width = table.columns.length;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
  // Identity columns (audit seq) take the archived number only when told to.
  const overriding = table.name === 'audit_events' ? ' OVERRIDING SYSTEM VALUE' : '';
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = row.map((value) => {
        params.push(
          value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value,
        );
        return `$${params.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    await runner.query(
      `INSERT INTO ${table.name} (${columnList(table)})${overriding} VALUES ${tuples.join(', ')}`,
      params,
    );
  }
}
