/**
 * Minimal zip reader for the bulk import: reads the central directory and inflates entries with the browser's
 * `DecompressionStream('deflate-raw')`. Supports stored and deflated entries (what every zip tool writes);
 * no encryption, no zip64.
 */

/** One file of a zip archive. */
export interface ZipEntry {
  name: string;
  size: number;
  read: () => Promise<Blob>;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Bounds the work a hostile archive can cause in the browser. */
const MAX_ENTRIES = 20_000;
const MAX_ENTRY_BYTES = 50 * 1024 * 1024;

/** Lists the files of a zip (directories and macOS resource forks skipped). Throws on a malformed archive. */
export async function readZip(file: Blob): Promise<ZipEntry[]> {
  const buffer = new Uint8Array(await file.arrayBuffer());
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('Not a zip file (no end of central directory).');
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count > MAX_ENTRIES) throw new Error(`The zip holds too many files (${count}).`);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (offset + 46 > buffer.length || view.getUint32(offset, true) !== CENTRAL) {
      throw new Error('Corrupt zip central directory.');
    }
    const flags = view.getUint16(offset + 8, true);
    const method = view.getUint16(offset + 10, true);
    const compressed = view.getUint32(offset + 20, true);
    const size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const name = decoder.decode(buffer.subarray(offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/') || name.startsWith('__MACOSX/') || name.split('/').pop()?.startsWith('._'))
      continue;
    if (flags & 1) throw new Error(`${name}: encrypted zip entries are not supported.`);
    if (method !== 0 && method !== 8) throw new Error(`${name}: unsupported compression method ${method}.`);
    if (size > MAX_ENTRY_BYTES) throw new Error(`${name}: file too large (${size} bytes).`);
    entries.push({
      name,
      size,
      read: async () => {
        if (view.getUint32(local, true) !== LOCAL) throw new Error(`${name}: corrupt local header.`);
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        const data = buffer.slice(start, start + compressed);
        const type = /\.png$/i.test(name) ? 'image/png' : /\.webp$/i.test(name) ? 'image/webp' : 'image/jpeg';
        if (method === 0) return new Blob([data], { type });
        const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
        return new Blob([await new Response(stream).arrayBuffer()], { type });
      },
    });
  }
  return entries;
}
