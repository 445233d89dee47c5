import { describe, expect, it } from 'vitest';
import { readZip } from './zip-reader.js';

async function deflateRaw(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function concat(parts: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function header(size: number, fill: (view: DataView) => void): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  return bytes;
}

/** Writes a minimal zip (stored or deflated entries) the way zip tools do. */
async function makeZip(
  entries: Array<{ name: string; data: Uint8Array<ArrayBuffer>; deflate: boolean }>,
): Promise<Uint8Array<ArrayBuffer>> {
  const locals: Uint8Array<ArrayBuffer>[] = [];
  const centrals: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new Uint8Array(new TextEncoder().encode(e.name));
    const body = e.deflate ? await deflateRaw(e.data) : e.data;
    const method = e.deflate ? 8 : 0;
    const local = header(30, (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(8, method, true);
      v.setUint32(18, body.length, true);
      v.setUint32(22, e.data.length, true);
      v.setUint16(26, name.length, true);
    });
    const central = header(46, (v) => {
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(10, method, true);
      v.setUint32(20, body.length, true);
      v.setUint32(24, e.data.length, true);
      v.setUint16(28, name.length, true);
      v.setUint32(42, offset, true);
    });
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const dir = concat(centrals);
  const end = header(22, (v) => {
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, entries.length, true);
    v.setUint16(10, entries.length, true);
    v.setUint32(12, dir.length, true);
    v.setUint32(16, offset, true);
  });
  return concat([...locals, dir, end]);
}

describe('zip reader', () => {
  it('lists and inflates stored and deflated entries, skipping folders and macOS forks', async () => {
    const photo = new Uint8Array(5000).map((_, i) => i % 7);
    const zip = await makeZip([
      { name: 'people/', data: new Uint8Array(), deflate: false },
      { name: 'people/E1_Ada_Lovelace.jpg', data: photo, deflate: true },
      { name: 'manifest.csv', data: new Uint8Array(new TextEncoder().encode('badge\n')), deflate: false },
      { name: '__MACOSX/._E1_Ada_Lovelace.jpg', data: new Uint8Array(3), deflate: false },
    ]);
    const entries = await readZip(new Blob([zip]));
    expect(entries.map((e) => e.name)).toEqual(['people/E1_Ada_Lovelace.jpg', 'manifest.csv']);
    const inflated = await entries[0]!.read();
    expect(inflated.type).toBe('image/jpeg');
    expect(new Uint8Array(await inflated.arrayBuffer())).toEqual(photo);
    expect(await (await entries[1]!.read()).text()).toBe('badge\n');
  });

  it('refuses what is not a zip', async () => {
    await expect(readZip(new Blob(['not a zip at all, just text'.repeat(3)]))).rejects.toThrow(/Not a zip/);
  });
});
