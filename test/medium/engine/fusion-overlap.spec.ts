import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DlibEmbedder } from '../../../src/engine/dlib.embedder.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { FusionEmbedder } from '../../../src/engine/fusion.embedder.js';
import { decodeImage } from '../../../src/engine/image-decoder.js';
import { OnnxFaceEmbedder } from '../../../src/engine/onnx-face.embedder.js';
import { ThreadedOnnxFaceEmbedder } from '../../../src/engine/threaded-onnx-face.embedder.js';
import { faceCrop } from '../../fixtures/sample-faces.js';
import { testEngine } from './engine-helpers.js';

const limits = { maxImageBytes: 15 * 1024 * 1024, maxImagePixels: 40_000_000, detectMaxSide: 1280 };
let engine: FaceEngine;
const inThread = new OnnxFaceEmbedder({ model: 'fr_feature', intraOpThreads: 1 });
const threaded = new ThreadedOnnxFaceEmbedder({ model: 'fr_feature', intraOpThreads: 1 });
const dlib = new DlibEmbedder();

beforeAll(async () => {
  // The engine loads Human, which initialises the tfjs WASM backend dlib needs.
  engine = testEngine({
    embedder: 'fusion',
    fusion: [
      { embedder: 'fr_feature', weight: 0.3 },
      { embedder: 'dlib', weight: 0.7 },
    ],
    flipAugment: false,
  });
  await engine.load();
});

afterAll(async () => {
  await engine?.close();
  await inThread.close();
  await threaded.close();
});

describe('fusion with fr_feature in its own thread', () => {
  it('gives bit-identical vectors to running the members one after the other', async () => {
    const jpeg = await faceCrop('s1-2');
    const analysis = await engine.analyze(jpeg);
    const { full } = await decodeImage(jpeg, limits);
    const landmarks = analysis.face.landmarks;
    const fr = (await inThread.embed(full, landmarks, false)).vector;
    const dl = (await dlib.embed(full, landmarks, false)).vector;
    const sequential = new Float32Array(640);
    fr.forEach((v, i) => {
      sequential[i] = v * Math.sqrt(0.3);
    });
    dl.forEach((v, i) => {
      sequential[512 + i] = v * Math.sqrt(0.7);
    });
    expect(Array.from(analysis.embedding)).toEqual(Array.from(sequential));
  });

  it('matches the in-thread member exactly, with and without flip, under concurrent calls', async () => {
    const { full } = await decodeImage(await faceCrop('s4-3'), limits);
    const landmarks = (await engine.detect(await faceCrop('s4-3'))).faces[0]!.landmarks;
    for (const flip of [false, true]) {
      const expected = (await inThread.embed(full, landmarks, flip)).vector;
      const results = await Promise.all(
        Array.from({ length: 3 }, () => threaded.embed(full, landmarks, flip)),
      );
      for (const r of results) expect(Array.from(r.vector)).toEqual(Array.from(expected));
    }
  });

  it('fuses the threaded member and dlib into a unit vector', async () => {
    const fusion = new FusionEmbedder([
      { embedder: threaded, weight: 0.3 },
      { embedder: dlib, weight: 0.7 },
    ]);
    const { full } = await decodeImage(await faceCrop('s3-0'), limits);
    const landmarks = (await engine.detect(await faceCrop('s3-0'))).faces[0]!.landmarks;
    const e = await fusion.embed(full, landmarks, false);
    expect(e.vector).toHaveLength(640);
    expect(Math.hypot(...e.vector)).toBeCloseTo(1, 5);
  });
});

describe('default fusion: fr_feature and MobileFaceNet, each in its own thread', () => {
  it('gives the vectors of the two in-thread members, weighted', async () => {
    const engine = testEngine({ embedder: 'fusion', flipAugment: false });
    const mfn = new OnnxFaceEmbedder({ model: 'mobilefacenet', intraOpThreads: 1 });
    try {
      expect(engine.info).toMatchObject({
        model: 'mp-mesh+fr_feature*0.5+mobilefacenet*0.5',
        dimension: 704,
      });
      const jpeg = await faceCrop('s5-3');
      const analysis = await engine.analyze(jpeg);
      const { full } = await decodeImage(jpeg, limits);
      const fr = (await inThread.embed(full, analysis.face.landmarks, false)).vector;
      const mf = (await mfn.embed(full, analysis.face.landmarks, false)).vector;
      const expected = [...fr, ...mf].map((v) => v * Math.sqrt(0.5));
      expect(Array.from(analysis.embedding)).toEqual(Array.from(Float32Array.from(expected)));
    } finally {
      await engine.close();
      await mfn.close();
    }
  });
});
