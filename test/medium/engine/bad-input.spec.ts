import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { faceCrop } from '../../fixtures/sample-faces.js';
import { codeOf, testEngine } from './engine-helpers.js';

let engine: FaceEngine;

beforeAll(async () => {
  engine = testEngine({ maxImageBytes: 2 * 1024 * 1024 });
  await engine.load();
});

afterAll(async () => {
  await engine?.close();
});

/** A 1×1 PNG whose header claims `width`×`height` (IHDR is rewritten, CRC left stale). */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

describe('engine refuses bad input with stable codes', () => {
  it('empty → IMAGE_MISSING', async () => {
    expect(await codeOf(engine.analyze(new Uint8Array()))).toBe('IMAGE_MISSING');
    expect(await codeOf(engine.detect(new Uint8Array()))).toBe('IMAGE_MISSING');
  });

  it('text → IMAGE_UNREADABLE', async () => {
    expect(await codeOf(engine.analyze(Buffer.from('this is not an image, just some text\n')))).toBe(
      'IMAGE_UNREADABLE',
    );
  });

  it('truncated JPEG → IMAGE_UNREADABLE', async () => {
    const jpeg = await faceCrop('s1-0');
    expect(await codeOf(engine.analyze(jpeg.subarray(0, Math.floor(jpeg.length * 0.6))))).toBe(
      'IMAGE_UNREADABLE',
    );
  });

  it('PNG declaring 100000×100000 (decompression bomb) → IMAGE_TOO_LARGE before decoding', async () => {
    expect(await codeOf(engine.analyze(await pngClaiming(100_000, 100_000)))).toBe('IMAGE_TOO_LARGE');
  });

  it('a JPEG whose frame header says 20000×20000 → IMAGE_TOO_LARGE', async () => {
    const jpeg = Buffer.from(await faceCrop('s1-0'));
    // Baseline SOF0 marker: FF C0, length (2), precision (1), height (2), width (2).
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    jpeg.writeUInt16BE(20_000, sof + 5);
    jpeg.writeUInt16BE(20_000, sof + 7);
    expect(await codeOf(engine.analyze(jpeg))).toBe('IMAGE_TOO_LARGE');
  });

  it('more bytes than engine.maxImageBytes → IMAGE_TOO_LARGE', async () => {
    const huge = Buffer.alloc(2 * 1024 * 1024 + 1, 0x41);
    huge[0] = 0xff;
    huge[1] = 0xd8;
    expect(await codeOf(engine.analyze(huge))).toBe('IMAGE_TOO_LARGE');
  });

  it('TIFF, SVG, HEIC, BMP → UNSUPPORTED_FORMAT', async () => {
    const jpeg = await faceCrop('s1-0');
    const tiff = await sharp(jpeg).tiff().toBuffer();
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
    );
    const heic = Buffer.concat([
      Buffer.from([0, 0, 0, 24]),
      Buffer.from('ftypheic'),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from('mif1heic'),
      Buffer.alloc(64),
    ]);
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(64)]);
    for (const [name, bytes] of Object.entries({ tiff, svg, heic, bmp })) {
      expect(await codeOf(engine.analyze(bytes)), name).toBe('UNSUPPORTED_FORMAT');
    }
  });

  it('a picture without a face → NO_FACE from analyze, an empty list from detect', async () => {
    const blank = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#8a8a8a' } })
      .jpeg()
      .toBuffer();
    expect(await codeOf(engine.analyze(blank))).toBe('NO_FACE');
    expect((await engine.detect(blank)).faces).toEqual([]);
  });

  it('accepts AVIF and the first frame of a GIF', async () => {
    const jpeg = await sharp(await faceCrop('s3-0'))
      .resize({ width: 300 })
      .toBuffer();
    for (const bytes of [
      await sharp(jpeg).avif({ effort: 0 }).toBuffer(),
      await sharp(jpeg).gif().toBuffer(),
    ]) {
      const a = await engine.analyze(bytes);
      expect(a.faces).toHaveLength(1);
    }
  });

  it('keeps working after refusals', async () => {
    const a = await engine.analyze(await faceCrop('s3-0'));
    expect(a.embedding).toHaveLength(engine.info.dimension);
  });
});
