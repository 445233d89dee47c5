import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FacegateError } from '../../domain/errors.js';
import { TRANSFER_TABLES, type TransferTable } from '../store-transfer.port.js';
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
import { tableChunks } from './table-digest.js';

/** What `facegate export` wrote. */
export interface ExportReport {
  archive: string;
  schemaVersion: number;
  source: { store: string; blobs: string };
  tables: Array<{ name: string; rows: number }>;
  blobs: { count: number; bytes: number };
}

/**
 * Writes the source's every table and photo object into the new directory `dir` (refused when it exists and is
 * not empty), then `manifest.json` last, so an interrupted export has no manifest and is never imported. Rows and
 * objects are copied as stored, ciphertexts included; files are readable by their owner only, since names and
 * e-mails are in clear. Stop the nodes first: a write during the export may be caught in one table and not another.
 */
export async function exportArchive(
  source: TransferEnd & { blobsKind: string },
  dir: string,
): Promise<ExportReport> {
  await prepareDirectory(dir);
  const tables: ManifestTable[] = [];
  for (const table of TRANSFER_TABLES) tables.push(await exportTable(source, table, dir));
  const blobs = await exportBlobs(source, dir);
  const body: Omit<ArchiveManifest, 'mac'> = {
    format: ARCHIVE_FORMAT,
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    schemaVersion: await source.transfer.schemaVersion(),
    source: { store: source.storeKind, blobs: source.blobsKind },
    dataKeyIds: source.cipher.keyIds,
    tables,
    blobs,
  };
  const manifest = sealManifest(body, source.cipher);
  const temp = join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, join(dir, MANIFEST_FILE));
  return {
    archive: dir,
    schemaVersion: body.schemaVersion,
    source: body.source,
    tables: tables.map(({ name, rows }) => ({ name, rows })),
    blobs: { count: blobs.count, bytes: blobs.bytes },
  };
}

async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    throw new FacegateError('CONFLICT', `The export directory ${dir} is not empty`);
  }
  await mkdir(join(dir, 'tables'), { mode: 0o700 });
  await mkdir(join(dir, BLOB_DIR), { mode: 0o700 });
}

async function exportTable(source: TransferEnd, table: TransferTable, dir: string): Promise<ManifestTable> {
  const file = tableFile(table);
  const hash = createHash('sha256');
  let rows = 0;
  const handle = await open(join(dir, file), 'wx', 0o600);
  try {
    for await (const part of tableChunks(source.transfer, table)) {
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

/** Every object as stored, at `blobs/<key>`, and the index of their keys, sha256 and sizes, sorted by key. */
async function exportBlobs(source: TransferEnd, dir: string): Promise<ManifestBlobs> {
  const keys: string[] = [];
  for await (const key of source.photos.list()) keys.push(key);
  keys.sort();
  let index = '';
  let bytes = 0;
  for (const key of keys) {
    const stored = await source.photos.get(key);
    if (!stored) throw new FacegateError('CONFLICT', `Photo object ${key} vanished during the export`);
    await writeFile(join(dir, BLOB_DIR, key), stored, { mode: 0o600, flag: 'wx' });
    const sha256 = createHash('sha256').update(stored).digest('hex');
    index += `${JSON.stringify({ key, sha256, size: stored.byteLength })}\n`;
    bytes += stored.byteLength;
  }
  await writeFile(join(dir, BLOB_INDEX_FILE), index, { mode: 0o600, flag: 'wx' });
  return {
    file: BLOB_INDEX_FILE,
    count: keys.length,
    bytes,
    sha256: createHash('sha256').update(index).digest('hex'),
  };
}
