import { FacegateError } from '../../domain/errors.js';
import type {
  TransferColumnType,
  TransferRow,
  TransferTable,
  TransferValue,
} from '../store-transfer.port.js';

/**
 * A table's rows page by page in key order: `fetch` returns up to `batchSize` driver rows with a key above `after`
 * (every row when `after` is undefined); each page is yielded as transfer rows, until a short page.
 */
export async function* keysetPages(
  table: TransferTable,
  batchSize: number,
  fetch: (after: unknown) => Promise<Array<Record<string, unknown>>>,
): AsyncIterable<TransferRow[]> {
  let after: unknown;
  for (;;) {
    const rows = await fetch(after);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]?.[table.key];
    yield rows.map((row) => transferRow(table, row));
    if (rows.length < batchSize) return;
  }
}

/**
 * One raw value read by a driver, checked against its column's type and brought to the one form both stores
 * share: whole numbers as numbers (PostgreSQL hands `bigint` over as text), bytes as `Uint8Array`.
 */
export function transferValue(
  table: TransferTable,
  column: string,
  type: TransferColumnType,
  raw: unknown,
): TransferValue {
  if (raw === null || raw === undefined) return null;
  if (type === 'text' && typeof raw === 'string') return raw;
  if (type === 'bytes' && raw instanceof Uint8Array) {
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }
  if (type === 'int' || type === 'real') {
    const value = typeof raw === 'bigint' || typeof raw === 'string' ? Number(raw) : raw;
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (type === 'real' || Number.isSafeInteger(value))
    ) {
      return value;
    }
  }
  throw new FacegateError('INTERNAL', `Unexpected value in ${table.name}.${column} (expected ${type})`, {
    table: table.name,
    column,
  });
}

/** A driver's row object as a transfer row, in the table's column order. */
export function transferRow(table: TransferTable, row: Record<string, unknown>): TransferRow {
  return table.columns.map(([column, type]) => transferValue(table, column, type, row[column]));
}

/** The one line that stands for a row in an archive and in its content hash: a JSON array, bytes in base64. */
export function encodeRowLine(table: TransferTable, row: TransferRow): string {
  const values = row.map((value) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
  );
  if (values.length !== table.columns.length) {
    throw new FacegateError('INTERNAL', `Row of ${table.name} has ${values.length} values`);
  }
  return `${JSON.stringify(values)}\n`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses one archive line back into a row; throws `ARCHIVE_INVALID` when it does not fit the table. */
export function decodeRowLine(table: TransferTable, line: string): TransferRow {
  let values: unknown;
  try {
    values = JSON.parse(line);
  } catch {
    throw invalidRow(table, 'not JSON');
  }
  if (!Array.isArray(values) || values.length !== table.columns.length) {
    throw invalidRow(table, `not an array of ${table.columns.length} values`);
  }
  return table.columns.map(([column, type], index) => decodeValue(table, column, type, values[index]));
}

function decodeValue(
  table: TransferTable,
  column: string,
  type: TransferColumnType,
  value: unknown,
): TransferValue {
  if (value === null) return null;
  if (type === 'bytes' && typeof value === 'string' && BASE64.test(value)) {
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  if (type === 'text' && typeof value === 'string') return value;
  if (type === 'int' && Number.isSafeInteger(value)) return value as number;
  if (type === 'real' && typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalidRow(table, `bad value in column ${column}`);
}

function invalidRow(table: TransferTable, reason: string): FacegateError {
  return new FacegateError(
    'ARCHIVE_INVALID',
    `A row of ${table.name} in the archive is malformed: ${reason}`,
    {
      table: table.name,
    },
  );
}

/** The table's column names, comma-separated, for SELECT and INSERT. */
export function columnList(table: TransferTable): string {
  return table.columns.map(([name]) => name).join(', ');
}

/** Whether the table's key is a text column (ordered bytewise). */
export function hasTextKey(table: TransferTable): boolean {
  return table.columns.some(([name, type]) => name === table.key && type === 'text');
}
