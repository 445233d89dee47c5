import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, ZIP_LIMITS } from './zip-reader.js';

const photo = new Uint8Array(5000).map((_, i) => i % 7);

function goodZip(): Uint8Array<ArrayBuffer> {
  return zipSync({
    'people/': {},
    'people/E1_Ada_Lovelace.jpg': [photo, { level: 6 }],
    'manifest.csv': [strToU8('badge\n'), { level: 0 }],
    '__MACOSX/._E1_Ada_Lovelace.jpg': new Uint8Array(3),
  });
}

/** Offset of the central-directory record of `name`. */
function centralRecord(zip: Uint8Array, name: string): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = 0; at + 46 <= zip.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const length = view.getUint16(at + 28, true);
    if (new TextDecoder().decode(zip.subarray(at + 46, at + 46 + length)) === name) return at;
  }
  throw new Error(`no central record for ${name}`);
}

describe('zip reader', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(strToU8('123456789'))).toBe(0xcbf43926);
  });

  it('lists and inflates stored and deflated entries, skipping folders and macOS forks', async () => {
    const entries = await readZip(new Blob([goodZip()]));
    expect(entries.map((e) => e.name)).toEqual(['people/E1_Ada_Lovelace.jpg', 'manifest.csv']);
    expect(entries[0]?.blob.type).toBe('image/jpeg');
    expect(new Uint8Array(await entries[0]!.blob.arrayBuffer())).toEqual(photo);
    expect(await entries[1]?.blob.text()).toBe('badge\n');
  });

  it('refuses what is not a zip', async () => {
    await expect(readZip(new Blob(['not a zip at all, just text'.repeat(3)]))).rejects.toThrow(/Not a zip/);
  });

  it('refuses an entry whose CRC does not match its contents', async () => {
    const zip = goodZip();
    const at = centralRecord(zip, 'people/E1_Ada_Lovelace.jpg');
    const view = new DataView(zip.buffer);
    view.setUint32(at + 16, view.getUint32(at + 16, true) ^ 1, true);
    await expect(readZip(new Blob([zip]))).rejects.toThrow(/E1_Ada_Lovelace\.jpg: damaged .*CRC/);
  });

  it('refuses an entry that inflates beyond the size it declares', async () => {
    const zip = goodZip();
    const at = centralRecord(zip, 'people/E1_Ada_Lovelace.jpg');
    new DataView(zip.buffer).setUint32(at + 24, 100, true);
    await expect(readZip(new Blob([zip]))).rejects.toThrow(/damaged/);
  });

  it('refuses a zip bomb before inflating it, and too many files', async () => {
    const zeros = new Uint8Array(2 * 1024 * 1024);
    const bomb = zipSync({ 'a.jpg': zeros, 'b.jpg': zeros, 'c.jpg': zeros });
    expect(bomb.length).toBeLessThan(50_000);
    const limits = { ...ZIP_LIMITS, maxTotalBytes: 5 * 1024 * 1024 };
    await expect(readZip(new Blob([bomb]), limits)).rejects.toThrow(
      /would inflate to more than 5 MiB: refused/,
    );
    await expect(readZip(new Blob([bomb]), { ...ZIP_LIMITS, maxEntryBytes: 1024 * 1024 })).rejects.toThrow(
      /a\.jpg: file too large/,
    );
    await expect(readZip(new Blob([bomb]), { ...ZIP_LIMITS, maxEntries: 2 })).rejects.toThrow(
      /too many files/,
    );
    expect(await readZip(new Blob([bomb]))).toHaveLength(3);
  });
});
