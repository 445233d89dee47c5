import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FacegateError } from '../../domain/errors.js';
import { TRANSFER_TABLES, type TransferReader, type TransferTable } from '../store-transfer.port.js';
import {
  ARCHIVE_FORMAT,
  type ArchiveManifest,
  BLOB_DIR,
  BLOB_INDEX_FILE,
  MANIFEST_FILE,
  type ManifestBlobs,
  type ManifestTable,
  sealManifest,
  type TransferEnd,
  tableFile,
} from './archive-manifest.js';
import { assertUnchangedSince, SnapshotReferences } from './snapshot-references.js';
import { tableChunks } from './table-digest.js';

const TABLE_DIR = 'tables';
const TEMP_MANIFEST = `.${MANIFEST_FILE}.tmp`;

/** What `facegate export` wrote. */
export interface ExportReport {
  archive: string;
  schemaVersion: number;
  source: { store: string; blobs: string };
  tables: Array<{ name: string; rows: number }>;
  /** `missing`: photo objects that rows name but the source's photo store did not hold (before the export too). */
  blobs: { count: number; bytes: number; missing: number };
}

/** The rows part of an archive, read in one snapshot. */
interface SnapshotPart {
  schemaVersion: number;
  tables: ManifestTable[];
  references: SnapshotReferences;
}

/**
 * Writes the source's every table and the photo objects its rows name into the new directory `dir` (refused when
 * it exists and is not empty), then `manifest.json` last, so an interrupted export has no manifest and is never
 * imported. Rows and objects are copied as stored, ciphertexts included; files are readable by their owner only,
 * since names and e-mails are in clear. The rows are read in one snapshot of the store, so the nodes may run;
 * photos are copied after it, and a failed export (`SOURCE_CHANGED` among others) removes what it wrote.
 */
export async function exportArchive(
  source: TransferEnd & { blobsKind: string },
  dir: string,
): Promise<ExportReport> {
  await prepareDirectory(dir);
  try {
    return await writeArchive(source, dir);
  } catch (error) {
    // A partial archive is of no use, and it may hold a person erased meanwhile.
    await clearDirectory(dir);
    throw error;
  }
}

async function writeArchive(source: TransferEnd & { blobsKind: string }, dir: string): Promise<ExportReport> {
  const part = await source.transfer.snapshot((reader) => exportRows(reader, dir));
  const copied = await exportBlobs(source, [...part.references.photoKeys].sort(), dir);
  const missing = await assertUnchangedSince(source.transfer, part.references, copied.absent);
  const body: Omit<ArchiveManifest, 'mac'> = {
    format: ARCHIVE_FORMAT,
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    schemaVersion: part.schemaVersion,
    source: { store: source.storeKind, blobs: source.blobsKind },
    dataKeyIds: source.cipher.keyIds,
    tables: part.tables,
    blobs: copied.blobs,
  };
  const manifest = sealManifest(body, source.cipher);
  const temp = join(dir, TEMP_MANIFEST);
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, join(dir, MANIFEST_FILE));
  return {
    archive: dir,
    schemaVersion: body.schemaVersion,
    source: body.source,
    tables: part.tables.map(({ name, rows }) => ({ name, rows })),
    blobs: { count: copied.blobs.count, bytes: copied.blobs.bytes, missing: missing.length },
  };
}

/** Every table's file, read from one snapshot, noting the photos and employees its rows name. */
async function exportRows(reader: TransferReader, dir: string): Promise<SnapshotPart> {
  const references = new SnapshotReferences();
  const schemaVersion = await reader.schemaVersion();
  const tables: ManifestTable[] = [];
  for (const table of TRANSFER_TABLES) tables.push(await exportTable(reader, table, dir, references));
  return { schemaVersion, tables, references };
}

async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    throw new FacegateError('CONFLICT', `The export directory ${dir} is not empty`);
  }
  await mkdir(join(dir, TABLE_DIR), { mode: 0o700 });
  await mkdir(join(dir, BLOB_DIR), { mode: 0o700 });
}

/** Removes what the export wrote into the directory, which was empty before (best effort). */
async function clearDirectory(dir: string): Promise<void> {
  for (const name of [TEMP_MANIFEST, BLOB_INDEX_FILE, BLOB_DIR, TABLE_DIR]) {
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

async function exportTable(
  reader: TransferReader,
  table: TransferTable,
  dir: string,
  references: SnapshotReferences,
): Promise<ManifestTable> {
  const file = tableFile(table);
  const hash = createHash('sha256');
  let rows = 0;
  const handle = await open(join(dir, file), 'wx', 0o600);
  try {
    for await (const part of tableChunks(reader, table, (batch) => references.observe(table, batch))) {
      hash.update(part.chunk);
      rows += part.rows;
      await handle.write(part.chunk);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return {
    name: table.name,
    file,
    columns: table.columns.map(([name]) => name),
    rows,
    sha256: hash.digest('hex'),
  };
}

/**
 * The named objects as stored, at `blobs/<key>`, and the index of their keys, sha256 and sizes, sorted by key.
 * An object that is absent is left out of the index and returned, for the check against the live store.
 */
async function exportBlobs(
  source: TransferEnd,
  keys: readonly string[],
  dir: string,
): Promise<{ blobs: ManifestBlobs; absent: string[] }> {
  let index = '';
  let bytes = 0;
  let count = 0;
  const absent: string[] = [];
  for (const key of keys) {
    const stored = await source.photos.get(key);
    if (!stored) {
      absent.push(key);
      continue;
    }
    await writeFile(join(dir, BLOB_DIR, key), stored, { mode: 0o600, flag: 'wx' });
    const sha256 = createHash('sha256').update(stored).digest('hex');
    index += `${JSON.stringify({ key, sha256, size: stored.byteLength })}\n`;
    bytes += stored.byteLength;
    count++;
  }
  await writeFile(join(dir, BLOB_INDEX_FILE), index, { mode: 0o600, flag: 'wx' });
  const blobs = {
    file: BLOB_INDEX_FILE,
    count,
    bytes,
    sha256: createHash('sha256').update(index).digest('hex'),
  };
  return { blobs, absent };
}
