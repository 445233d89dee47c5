import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyedBlobStore } from '../../blobs/blob-store.port.js';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import { type StoreTransfer, TRANSFER_TABLES, type TransferTable } from '../store-transfer.port.js';

/** The data at rest on one side of a move: the store's tables, the raw photo objects, and the data keys. */
export interface TransferEnd {
  /** Store kind (`sqlite`, `postgres`), for the manifest and the report. */
  storeKind: string;
  transfer: StoreTransfer;
  /** Photo objects as stored (ciphertexts under their keyed addresses), beneath the encrypting decorator. */
  photos: KeyedBlobStore;
  cipher: DataCipher;
}

/** One table of an archive: its file, its columns, and what the file must hold. */
export interface ManifestTable {
  name: string;
  file: string;
  columns: string[];
  rows: number;
  /** sha256 (hex) of the file: one canonical line per row, in key order. */
  sha256: string;
}

/** The photo objects of an archive: an index file of `{key, sha256, size}` lines, sorted by key. */
export interface ManifestBlobs {
  file: string;
  count: number;
  bytes: number;
  /** sha256 (hex) of the index file. */
  sha256: string;
}

/** `manifest.json`: what an archive holds, sealed with a keyed hash under the source's data key. */
export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  formatVersion: 1;
  createdAt: string;
  schemaVersion: number;
  source: { store: string; blobs: string };
  /** Ids of the data keys the source was configured with: the target needs every one of them. */
  dataKeyIds: string[];
  tables: ManifestTable[];
  blobs: ManifestBlobs;
  /** Keyed hash (HMAC-SHA256 under a subkey of the data key) of the manifest without this field. */
  mac: string;
}

export const ARCHIVE_FORMAT = 'facegate-export';
export const MANIFEST_FILE = 'manifest.json';
export const BLOB_INDEX_FILE = 'blobs.ndjson';
export const BLOB_DIR = 'blobs';
const MAC_PURPOSE = 'export-manifest';

/** The file of a table inside an archive. */
export function tableFile(table: TransferTable): string {
  return `tables/${table.name}.ndjson`;
}

/** The manifest's keyed hash under the current data key. */
export function sealManifest(body: Omit<ArchiveManifest, 'mac'>, cipher: DataCipher): ArchiveManifest {
  return { ...body, mac: cipher.keyedHash(Buffer.from(JSON.stringify(body)), MAC_PURPOSE) };
}

/**
 * Reads and checks `manifest.json`: its shape, the tables of this version, and its seal under one of the
 * configured data keys. Throws `ARCHIVE_INVALID` (altered, or sealed with keys the target lacks) or
 * `CONFIG_INVALID` (a data key of the source is not configured here).
 */
export async function readManifest(dir: string, cipher: DataCipher): Promise<ArchiveManifest> {
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as ArchiveManifest;
  } catch (cause) {
    throw new FacegateError('ARCHIVE_INVALID', `No readable ${MANIFEST_FILE} in ${dir}`, undefined, {
      cause,
    });
  }
  assertShape(manifest);
  const { mac, ...body } = manifest;
  const expected = cipher.keyedHashes(Buffer.from(JSON.stringify(body)), MAC_PURPOSE);
  if (!expected.some((candidate) => sameHex(candidate, mac))) {
    throw new FacegateError(
      'ARCHIVE_INVALID',
      'The archive manifest does not match its seal: it was altered, or the data keys configured here are not those of the export',
    );
  }
  const missing = manifest.dataKeyIds.filter((id) => !cipher.keyIds.includes(id));
  if (missing.length > 0) {
    throw new FacegateError(
      'CONFIG_INVALID',
      `The target lacks data keys the exported records may be encrypted with: ${missing.join(', ')}`,
      { missing },
    );
  }
  return manifest;
}

function assertShape(manifest: ArchiveManifest): void {
  const ok =
    typeof manifest === 'object' &&
    manifest !== null &&
    manifest.format === ARCHIVE_FORMAT &&
    manifest.formatVersion === 1 &&
    typeof manifest.mac === 'string' &&
    Number.isSafeInteger(manifest.schemaVersion) &&
    Array.isArray(manifest.dataKeyIds) &&
    Array.isArray(manifest.tables) &&
    typeof manifest.blobs === 'object' &&
    manifest.blobs !== null &&
    manifest.blobs.file === BLOB_INDEX_FILE &&
    Number.isSafeInteger(manifest.blobs.count) &&
    manifest.tables.length === TRANSFER_TABLES.length &&
    TRANSFER_TABLES.every((table, i) => sameTable(table, manifest.tables[i]));
  if (!ok) {
    throw new FacegateError(
      'ARCHIVE_INVALID',
      'The archive manifest is not a facegate export of this version (format, tables or columns differ)',
    );
  }
}

function sameTable(table: TransferTable, entry: ManifestTable | undefined): boolean {
  return (
    entry !== undefined &&
    entry.name === table.name &&
    entry.file === tableFile(table) &&
    Number.isSafeInteger(entry.rows) &&
    typeof entry.sha256 === 'string' &&
    Array.isArray(entry.columns) &&
    entry.columns.join(',') === table.columns.map(([name]) => name).join(',')
  );
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
