import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { assertBlobKey } from '../../blobs/fs-blob-store.js';
import { FacegateError } from '../../domain/errors.js';
import { TRANSFER_TABLES, type TransferRow, type TransferTable } from '../store-transfer.port.js';
import {
  type ArchiveManifest,
  BLOB_DIR,
  BLOB_INDEX_FILE,
  readManifest,
  type TransferEnd,
  tableFile,
} from './archive-manifest.js';
import { digestTable, TRANSFER_BATCH } from './table-digest.js';
import { decodeRowLine } from './transfer-rows.js';

/** One photo object listed in an archive. */
interface BlobEntry {
  key: string;
  sha256: string;
  size: number;
}

/** How one table of the target compares with the archive after the import. */
export interface TableCheck {
  name: string;
  expectedRows: number;
  rows: number;
  hashMatches: boolean;
}

/** What `facegate import` did and found. */
export interface ImportReport {
  archive: string;
  target: string;
  schemaVersion: number;
  /** The target already held exactly this archive (a repeated import): nothing was written. */
  alreadyImported: boolean;
  tables: TableCheck[];
  blobs: { expected: number; present: number; matching: number };
  /** Every count and hash equals the manifest's. */
  ok: boolean;
}

/**
 * Imports an archive into an empty target: checks the manifest's seal and every file's hash first (a changed
 * archive writes nothing), writes the photo objects (idempotent: same key, same bytes), then every row in one
 * transaction, then reads the target back and compares counts and hashes with the manifest. A target holding
 * anything else is refused (`TARGET_NOT_EMPTY`); one holding exactly this archive is only verified, so an import
 * that was interrupted or already done can be run again.
 */
export async function importArchive(target: TransferEnd, dir: string): Promise<ImportReport> {
  const manifest = await readManifest(dir, target.cipher);
  const schemaVersion = await target.transfer.schemaVersion();
  if (manifest.schemaVersion !== schemaVersion) {
    throw new FacegateError(
      'ARCHIVE_INVALID',
      `The archive is at schema version ${manifest.schemaVersion}, the target at ${schemaVersion}: export and import with the same facegate version`,
    );
  }
  const blobs = await checkArchiveFiles(manifest, dir);
  const held = await targetRows(target);
  const storedKeys = await checkTargetPhotos(target, blobs);
  if (held.length > 0) {
    const report = await verifyTarget(target, manifest, blobs, dir);
    if (report.ok) return { ...report, alreadyImported: true };
    throw new FacegateError('TARGET_NOT_EMPTY', `The target store already holds rows (${held.join(', ')})`, {
      tables: held,
    });
  }
  for (const entry of blobs) {
    if (storedKeys.has(entry.key)) continue;
    await target.photos.putAt(entry.key, await readFile(join(dir, BLOB_DIR, entry.key)));
  }
  await target.transfer.load(async (write) => {
    for (const table of TRANSFER_TABLES) await loadTable(table, dir, write);
  });
  return verifyTarget(target, manifest, blobs, dir);
}

/** Every file against the manifest: table files and the blob index by hash and count, each object by hash. */
async function checkArchiveFiles(manifest: ArchiveManifest, dir: string): Promise<BlobEntry[]> {
  for (const entry of manifest.tables) {
    const found = await hashFile(join(dir, entry.file));
    if (found.sha256 !== entry.sha256 || found.lines !== entry.rows) {
      throw altered(`${entry.file} does not match the manifest (rows or hash differ)`);
    }
  }
  const indexFile = join(dir, BLOB_INDEX_FILE);
  if ((await hashFile(indexFile)).sha256 !== manifest.blobs.sha256) {
    throw altered(`${BLOB_INDEX_FILE} does not match the manifest`);
  }
  const entries = parseIndex(await readFile(indexFile, 'utf8'));
  if (entries.length !== manifest.blobs.count)
    throw altered(`${BLOB_INDEX_FILE} lists another number of objects`);
  for (const entry of entries) {
    const bytes = await readFile(join(dir, BLOB_DIR, entry.key)).catch(() => undefined);
    if (!bytes || bytes.byteLength !== entry.size || sha256(bytes) !== entry.sha256) {
      throw altered(`photo object ${entry.key} is missing or differs from the index`);
    }
  }
  return entries;
}

function parseIndex(text: string): BlobEntry[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const entry = JSON.parse(line) as BlobEntry;
      try {
        assertBlobKey(entry.key);
      } catch {
        throw altered(`${BLOB_INDEX_FILE} holds an invalid key`);
      }
      return entry;
    });
}

/** Tables of the target that hold rows. */
async function targetRows(target: TransferEnd): Promise<string[]> {
  const held: string[] = [];
  for (const table of TRANSFER_TABLES) {
    if ((await target.transfer.countRows(table)) > 0) held.push(table.name);
  }
  return held;
}

/** The target's object keys; refuses any key the archive does not hold (another install's photos). */
async function checkTargetPhotos(target: TransferEnd, blobs: readonly BlobEntry[]): Promise<Set<string>> {
  const archived = new Set(blobs.map((b) => b.key));
  const stored = new Set<string>();
  for await (const key of target.photos.list()) {
    if (!archived.has(key)) {
      throw new FacegateError('TARGET_NOT_EMPTY', `The target photo store holds objects of its own (${key})`);
    }
    stored.add(key);
  }
  return stored;
}

async function loadTable(
  table: TransferTable,
  dir: string,
  write: (table: TransferTable, rows: readonly TransferRow[]) => Promise<void>,
): Promise<void> {
  let batch: TransferRow[] = [];
  const lines = createInterface({
    input: createReadStream(join(dir, tableFile(table))),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    batch.push(decodeRowLine(table, line));
    if (batch.length >= TRANSFER_BATCH) {
      await write(table, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await write(table, batch);
}

/** Reads the target back: each table's count and hash, and each object's hash, against the archive. */
async function verifyTarget(
  target: TransferEnd,
  manifest: ArchiveManifest,
  blobs: readonly BlobEntry[],
  dir: string,
): Promise<ImportReport> {
  const tables: TableCheck[] = [];
  for (const [i, table] of TRANSFER_TABLES.entries()) {
    const expected = manifest.tables[i];
    const found = await digestTable(target.transfer, table);
    tables.push({
      name: table.name,
      expectedRows: expected?.rows ?? -1,
      rows: found.rows,
      hashMatches: found.sha256 === expected?.sha256,
    });
  }
  let present = 0;
  let matching = 0;
  for (const entry of blobs) {
    const stored = await target.photos.get(entry.key);
    if (!stored) continue;
    present++;
    if (sha256(stored) === entry.sha256) matching++;
  }
  const ok =
    tables.every((t) => t.hashMatches && t.rows === t.expectedRows) &&
    present === blobs.length &&
    matching === blobs.length;
  return {
    archive: dir,
    target: target.storeKind,
    schemaVersion: manifest.schemaVersion,
    alreadyImported: false,
    tables,
    blobs: { expected: blobs.length, present, matching },
    ok,
  };
}

async function hashFile(path: string): Promise<{ sha256: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      for (const byte of chunk) if (byte === 0x0a) lines++;
    }
  } catch (cause) {
    throw new FacegateError('ARCHIVE_INVALID', `Cannot read ${path}`, undefined, { cause });
  }
  return { sha256: hash.digest('hex'), lines };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function altered(what: string): FacegateError {
  return new FacegateError('ARCHIVE_INVALID', `The archive was altered or is incomplete: ${what}`);
}
