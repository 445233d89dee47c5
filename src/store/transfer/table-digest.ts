import { createHash } from 'node:crypto';
import type { TransferReader, TransferRow, TransferTable } from '../store-transfer.port.js';
import { encodeRowLine } from './transfer-rows.js';

/** Rows read per batch while exporting or verifying. */
export const TRANSFER_BATCH = 500;

/**
 * The table's canonical lines, one batch of rows joined per chunk, with the batch's count of rows; `observe` sees
 * each batch of rows first.
 */
export async function* tableChunks(
  transfer: TransferReader,
  table: TransferTable,
  observe?: (rows: readonly TransferRow[]) => void,
): AsyncIterable<{ chunk: string; rows: number }> {
  for await (const batch of transfer.readRows(table, TRANSFER_BATCH)) {
    observe?.(batch);
    yield { chunk: batch.map((row) => encodeRowLine(table, row)).join(''), rows: batch.length };
  }
}

/** A table's row count and content hash (sha256 of its canonical lines), as an archive's manifest states them. */
export async function digestTable(
  transfer: TransferReader,
  table: TransferTable,
): Promise<{ rows: number; sha256: string }> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const part of tableChunks(transfer, table)) {
    hash.update(part.chunk);
    rows += part.rows;
  }
  return { rows, sha256: hash.digest('hex') };
}
