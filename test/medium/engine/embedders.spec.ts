import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { ARCFACE_TEMPLATE_112, alignFace, mirror } from '../../../src/engine/alignment.js';
import { localEngineSettings } from '../../../src/engine/create-face-engine.js';
import { cosine, l2Normalize } from '../../../src/engine/embedder.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { decodeImage } from '../../../src/engine/image-decoder.js';
import { OnnxFaceEmbedder } from '../../../src/engine/onnx-face.embedder.js';
import { PooledFaceEngine } from '../../../src/engine/pooled-face-engine.js';
import { faceCrop, type TransformKind, transform } from '../../fixtures/sample-faces.js';
import { codeOf, testEngine } from './engine-helpers.js';

const engines: Record<string, FaceEngine> = {};

beforeAll(async () => {
  engines.fr = testEngine({ embedder: 'fr_feature', flipAugment: false });
  engines.dlib = testEngine({ embedder: 'dlib', flipAugment: false });
  engines.dlibFlip = testEngine({ embedder: 'dlib', flipAugment: true });
  engines.mfn = testEngine({ embedder: 'mobilefacenet', flipAugment: false });
  engines.fusion = testEngine({
    embedder: 'fusion',
    flipAugment: false,
    fusion: [
      { embedder: 'fr_feature', weight: 0.7 },
      { embedder: 'dlib', weight: 0.3 },
    ],
  });
  for (const e of Object.values(engines)) await e.load();
});

afterAll(async () => {
  for (const e of Object.values(engines)) await e.close();
});

describe('embedder choices', () => {
  it('each choice has its own model id, dimension and version', () => {
    expect(engines.fr!.info).toMatchObject({ model: 'mp-mesh+fr_feature', dimension: 512 });
    expect(engines.dlib!.info).toMatchObject({ model: 'mp-mesh+dlib', dimension: 128 });
    expect(engines.dlibFlip!.info).toMatchObject({ model: 'mp-mesh+dlib+flip', dimension: 128 });
    expect(engines.mfn!.info).toMatchObject({ model: 'mp-mesh+mobilefacenet', dimension: 192 });
    expect(engines.fusion!.info).toMatchObject({
      model: 'mp-mesh+fr_feature*0.7+dlib*0.3',
      dimension: 640,
    });
    const models = new Set(Object.values(engines).map((e) => e.info.model));
    expect(models.size).toBe(5);
  });

  it.each([
    ['dlib', 128],
    ['mfn', 192],
  ] as const)('%s matches transformed copies and separates people', async (name, dimension) => {
    const engine = engines[name]!;
    const a = await engine.analyze(await faceCrop('s3-0'));
    expect(a.embedding).toHaveLength(dimension);
    expect(Math.hypot(...a.embedding)).toBeCloseTo(1, 4);
    const kinds: TransformKind[] = [
      'flip',
      'crop',
      'recompress',
      'exif-rotated',
      'grayscale',
      'cmyk',
      'webp',
    ];
    let lowestSame = 1;
    for (const kind of kinds) {
      const b = await engine.analyze(await transform(await faceCrop('s3-0'), kind));
      lowestSame = Math.min(lowestSame, cosine(a.embedding, b.embedding));
    }
    let highestOther = -1;
    for (const other of ['s1-0', 's2-0', 's5-3', 's6-0']) {
      const c = await engine.analyze(await faceCrop(other));
      highestOther = Math.max(highestOther, cosine(a.embedding, c.embedding));
    }
    // dlib's cosines crowd near 1 (docs/engine.md "Embedders"); MobileFaceNet's spread like ArcFace models'.
    expect(lowestSame).toBeGreaterThan(name === 'dlib' ? 0.95 : 0.8);
    expect(lowestSame).toBeGreaterThan(highestOther);
  });

  it('flip augmentation makes a photo and its mirror image nearly identical', async () => {
    const a = await engines.dlibFlip!.analyze(await faceCrop('s1-0'));
    const b = await engines.dlibFlip!.analyze(await transform(await faceCrop('s1-0'), 'flip'));
    const plainA = await engines.dlib!.analyze(await faceCrop('s1-0'));
    const plainB = await engines.dlib!.analyze(await transform(await faceCrop('s1-0'), 'flip'));
    expect(cosine(a.embedding, b.embedding)).toBeGreaterThan(cosine(plainA.embedding, plainB.embedding));
  });

  it('fusion cosine equals the weighted average of the member cosines', async () => {
    const x = await faceCrop('s1-0');
    const y = await transform(await faceCrop('s1-0'), 'recompress');
    const z = await faceCrop('s4-3');
    for (const [p, q] of [
      [x, y],
      [x, z],
    ] as const) {
      const fr = cosine((await engines.fr!.analyze(p)).embedding, (await engines.fr!.analyze(q)).embedding);
      const dl = cosine(
        (await engines.dlib!.analyze(p)).embedding,
        (await engines.dlib!.analyze(q)).embedding,
      );
      const fused = cosine(
        (await engines.fusion!.analyze(p)).embedding,
        (await engines.fusion!.analyze(q)).embedding,
      );
      expect(fused).toBeCloseTo(0.7 * fr + 0.3 * dl, 4);
    }
  });
});

describe('ONNX embedders with flip augmentation', () => {
  it.each(['fr_feature', 'mobilefacenet'] as const)(
    '%s runs the crop and its mirror as one batch and sums the two unit vectors',
    async (model) => {
      const embedder = new OnnxFaceEmbedder({ model, intraOpThreads: 1 });
      try {
        expect(await embedder.batchedFlip()).toBe(true);
        const decoded = await decodeImage(await faceCrop('s1-0'), {
          maxImageBytes: 1e7,
          maxImagePixels: 1e7,
          detectMaxSide: 1280,
        });
        const landmarks = (await engines.fr!.detect(await faceCrop('s1-0'))).faces[0]!.landmarks;
        const crop = alignFace(decoded.full, landmarks);
        // With the template as landmarks the warp is the identity, so these embed exactly `crop` and its mirror.
        const plain = (await embedder.embed(crop, ARCFACE_TEMPLATE_112, false)).vector;
        const mirrored = (await embedder.embed(mirror(crop), ARCFACE_TEMPLATE_112, false)).vector;
        const flipped = (await embedder.embed(crop, ARCFACE_TEMPLATE_112, true)).vector;
        const expected = l2Normalize(plain.map((v, i) => v + mirrored[i]!));
        expect(cosine(flipped, expected)).toBeGreaterThan(0.99999);
        expect(cosine(plain, mirrored)).toBeLessThan(0.999);
      } finally {
        await embedder.close();
      }
    },
  );
});

describe('worker-pool engine', () => {
  let pool: FaceEngine;

  beforeAll(async () => {
    pool = testEngine({ embedder: 'fr_feature', flipAugment: false, workers: 1 });
    await pool.load();
  });

  afterAll(async () => {
    await pool?.close();
  });

  it('gives the same result as the in-process engine', async () => {
    const jpeg = await faceCrop('s5-3');
    const local = await engines.fr!.analyze(jpeg);
    const pooled = await pool.analyze(jpeg);
    expect(pool.info).toEqual(engines.fr!.info);
    expect(pooled.engineInfo).toEqual(local.engineInfo);
    expect(pooled.embedding).toBeInstanceOf(Float32Array);
    expect(cosine(pooled.embedding, local.embedding)).toBeGreaterThan(0.99999);
    expect(pooled.face.box).toEqual(local.face.box);
    const detected = await pool.detect(jpeg);
    expect(detected.faces).toHaveLength(1);
  });

  it('answers OVERLOADED when the queue is full, and recovers', async () => {
    const tiny = new PooledFaceEngine(localEngineSettings(loadConfig({ NODE_ENV: 'test' })), 1, 1);
    try {
      await tiny.load();
      const jpeg = await faceCrop('s3-0');
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => codeOf(tiny.analyze(jpeg))));
      expect(outcomes).toContain('OVERLOADED');
      expect(outcomes).toContain('resolved');
      expect(await codeOf(tiny.analyze(jpeg))).toBe('resolved');
    } finally {
      await tiny.close();
    }
  });

  it('carries error codes across the thread boundary', async () => {
    expect(await codeOf(pool.analyze(Buffer.from('not an image')))).toBe('IMAGE_UNREADABLE');
    expect(await codeOf(pool.analyze(new Uint8Array()))).toBe('IMAGE_MISSING');
    const after = await pool.analyze(await faceCrop('s1-0'));
    expect(after.embedding).toHaveLength(512);
  });
});
