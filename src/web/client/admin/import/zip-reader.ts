/**
 * Zip reading for the bulk import, on fflate (stored and deflated entries, zip64). fflate does not check CRCs, so
 * each entry's CRC-32 and size are checked here against the central directory; limits on the entry count and on
 * the declared inflated sizes refuse a zip bomb before anything is inflated.
 */
import { type UnzipFileInfo, type Unzipped, unzipSync } from 'fflate';

/** One file of a zip archive, inflated and checked. */
export interface ZipEntry {
  name: string;
  blob: Blob;
}

/** Bounds the work and memory a hostile archive can cause in the browser. */
export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

const MIB = 1024 * 1024;

/** Default limits: enough for thousands of photos, far below what would exhaust a browser tab. */
export const ZIP_LIMITS: ZipLimits = {
  maxEntries: 20_000,
  maxEntryBytes: 50 * MIB,
  maxTotalBytes: 1024 * MIB,
};

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;

/** An error the user can act on, kept apart from fflate's own messages. */
class ZipRefused extends Error {}

interface CentralHeader {
  flags: number;
  crc: number;
}

/** The general-purpose flags and CRC-32 of each entry, in central-directory order (what fflate does not expose). */
function centralHeaders(bytes: Uint8Array, limits: ZipLimits): CentralHeader[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (eocd >= 0 && eocd >= bytes.length - 22 - 0xffff && view.getUint32(eocd, true) !== EOCD) eocd--;
  if (eocd < 0 || view.getUint32(eocd, true) !== EOCD) throw new ZipRefused('Not a zip file.');
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = Number(view.getBigUint64(eocd - 12, true));
    if (at + 56 <= bytes.length && view.getUint32(at, true) === ZIP64_EOCD) {
      count = Number(view.getBigUint64(at + 32, true));
      offset = Number(view.getBigUint64(at + 48, true));
    }
  }
  if (count > limits.maxEntries) throw new ZipRefused(`The zip holds too many files (${count}).`);
  const headers: CentralHeader[] = [];
  for (let n = 0; n < count; n++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL) {
      throw new ZipRefused('Corrupt zip central directory.');
    }
    headers.push({ flags: view.getUint16(offset + 8, true), crc: view.getUint32(offset + 16, true) });
    offset +=
      46 +
      view.getUint16(offset + 28, true) +
      view.getUint16(offset + 30, true) +
      view.getUint16(offset + 32, true);
  }
  return headers;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE 802.3, as zip uses it). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function skipped(name: string): boolean {
  return name.endsWith('/') || name.startsWith('__MACOSX/') || (name.split('/').pop() ?? '').startsWith('._');
}

function mimeType(name: string): string {
  return /\.png$/i.test(name) ? 'image/png' : /\.webp$/i.test(name) ? 'image/webp' : 'image/jpeg';
}

/** Checks one entry before fflate inflates it; returns false for entries the import ignores. */
function admit(info: UnzipFileInfo, header: CentralHeader | undefined, limits: ZipLimits): boolean {
  if (!header) throw new ZipRefused('Corrupt zip central directory.');
  if (skipped(info.name)) return false;
  if (header.flags & 1) throw new ZipRefused(`${info.name}: encrypted zip entries are not supported.`);
  if (info.compression !== 0 && info.compression !== 8) {
    throw new ZipRefused(`${info.name}: unsupported compression method ${info.compression}.`);
  }
  if (info.originalSize > limits.maxEntryBytes) {
    throw new ZipRefused(`${info.name}: file too large (${info.originalSize} bytes).`);
  }
  return true;
}

/**
 * Inflates the files of a zip (folders and macOS resource forks skipped), checking each one's size and CRC-32.
 * Throws a readable error on a malformed, encrypted or damaged archive, or one that would inflate beyond `limits`.
 */
export async function readZip(file: Blob, limits: ZipLimits = ZIP_LIMITS): Promise<ZipEntry[]> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const headers = centralHeaders(bytes, limits);
  const wanted: Array<{ info: UnzipFileInfo; crc: number }> = [];
  let index = 0;
  let total = 0;
  let files: Unzipped;
  try {
    files = unzipSync(bytes, {
      filter: (info) => {
        const header = headers[index++];
        if (!admit(info, header, limits)) return false;
        total += info.originalSize;
        if (total > limits.maxTotalBytes) {
          throw new ZipRefused(
            `The zip would inflate to more than ${Math.round(limits.maxTotalBytes / MIB)} MiB: refused (split it into smaller zips).`,
          );
        }
        if (wanted.some((w) => w.info.name === info.name)) {
          throw new ZipRefused(`${info.name}: listed twice in the zip.`);
        }
        wanted.push({ info, crc: header?.crc ?? 0 });
        return true;
      },
    });
  } catch (error) {
    if (error instanceof ZipRefused) throw error;
    throw new Error(`Corrupt zip: ${error instanceof Error ? error.message : String(error)}.`);
  }
  return wanted.map(({ info, crc }) => {
    const data = files[info.name];
    // fflate inflates into a buffer of the declared size, so a lying size shows up here as a CRC mismatch.
    if (!data || data.length !== info.originalSize || crc32(data) !== crc) {
      throw new Error(`${info.name}: damaged in the zip (size or CRC mismatch).`);
    }
    return { name: info.name, blob: new Blob([data], { type: mimeType(info.name) }) };
  });
}
