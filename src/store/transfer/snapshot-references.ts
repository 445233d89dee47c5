import { assertBlobKey } from '../../blobs/fs-blob-store.js';
import { FacegateError } from '../../domain/errors.js';
import {
  type StoreTransfer,
  TRANSFER_TABLES,
  type TransferRow,
  type TransferTable,
} from '../store-transfer.port.js';
import { TRANSFER_BATCH } from './table-digest.js';

/** The table whose rows are the people an erasure removes. */
const PEOPLE = 'employees';

/**
 * What an export must check outside its snapshot: the photo objects the snapshot's rows name (the archive holds
 * exactly these) and the employees it holds (none of them may have been erased by the time the archive is sealed).
 */
export class SnapshotReferences {
  readonly photoKeys = new Set<string>();
  readonly employeeIds = new Set<string>();

  /** Notes the photo keys and employee ids of rows read from the snapshot. */
  observe(table: TransferTable, rows: readonly TransferRow[]): void {
    for (const row of rows) {
      for (const key of photoKeysOf(table, row)) this.photoKeys.add(key);
      if (table.name === PEOPLE) this.employeeIds.add(keyOf(table, row));
    }
  }
}

/**
 * Compares the snapshot with the store as it is now, after the photos were copied. An employee of the snapshot
 * who is gone was erased during the export; a photo that was absent and that no row names any more was deleted
 * during it (an erasure, a deleted template, a decided self-service submission). Either way the archive would
 * carry data that its owner asked to have removed, or rows without their photo: `SOURCE_CHANGED`, to run again.
 * Returns the absent photos that rows still name: missing from the source itself, not by a change meanwhile.
 */
export async function assertUnchangedSince(
  live: StoreTransfer,
  snapshot: SnapshotReferences,
  absentPhotos: readonly string[],
): Promise<string[]> {
  const people = await liveKeys(
    live,
    (table) => table.name === PEOPLE,
    (table, row) => [keyOf(table, row)],
  );
  const erased = [...snapshot.employeeIds].filter((id) => !people.has(id)).length;
  const named =
    absentPhotos.length > 0
      ? await liveKeys(live, (table) => table.photos !== undefined, photoKeysOf)
      : new Set<string>();
  const deleted = absentPhotos.filter((key) => !named.has(key)).length;
  if (erased > 0 || deleted > 0) {
    throw new FacegateError(
      'SOURCE_CHANGED',
      `Data was removed while the export ran (${erased} employee(s) erased, ${deleted} photo(s) deleted): the ` +
        'archive would keep what was removed. Nothing was kept; run the export again',
      { erasedEmployees: erased, deletedPhotos: deleted },
    );
  }
  return [...absentPhotos];
}

/** Values that the selected tables' rows give, read live (outside any snapshot). */
async function liveKeys(
  live: StoreTransfer,
  select: (table: TransferTable) => boolean,
  valuesOf: (table: TransferTable, row: TransferRow) => string[],
): Promise<Set<string>> {
  const values = new Set<string>();
  for (const table of TRANSFER_TABLES.filter(select)) {
    for await (const batch of live.readRows(table, TRANSFER_BATCH)) {
      for (const row of batch) for (const value of valuesOf(table, row)) values.add(value);
    }
  }
  return values;
}

/** The photo keys a row names (none when its table holds no photo column or the column is empty). */
export function photoKeysOf(table: TransferTable, row: TransferRow): string[] {
  if (!table.photos) return [];
  const value = row[columnIndex(table, table.photos.column)];
  if (value === null || value === undefined) return [];
  const keys: unknown = table.photos.form === 'key' ? value : parseList(table, value);
  const list = Array.isArray(keys) ? keys : [keys];
  for (const key of list) {
    try {
      assertBlobKey(key as string);
    } catch {
      throw new FacegateError('INTERNAL', `A row of ${table.name} names an invalid photo key`);
    }
  }
  return list as string[];
}

function parseList(table: TransferTable, value: TransferRow[number]): unknown {
  try {
    const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : undefined;
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // Reported below, as any other value that is not a list.
  }
  throw new FacegateError('INTERNAL', `A row of ${table.name} holds an unreadable list of photo keys`);
}

function keyOf(table: TransferTable, row: TransferRow): string {
  return String(row[columnIndex(table, table.key)]);
}

function columnIndex(table: TransferTable, column: string): number {
  const index = table.columns.findIndex(([name]) => name === column);
  if (index < 0) throw new FacegateError('INTERNAL', `${table.name} has no column ${column}`);
  return index;
}
