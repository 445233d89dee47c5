import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from '../../../src/engine/embedder.js';
import type { FaceAnalysis, FaceEngine } from '../../../src/engine/face-engine.port.js';
import {
  faceCrop,
  faceCrops,
  groupPhoto,
  type TransformKind,
  transform,
} from '../../fixtures/sample-faces.js';
import { testEngine } from './engine-helpers.js';

/** Cosine at FAR 1e-4 of pipeline A in the bake-off: same-person copies must clear it easily. */
const STRICT_THRESHOLD = 0.41;

let engine: FaceEngine;
const originals = new Map<string, FaceAnalysis>();

beforeAll(async () => {
  engine = testEngine({ embedder: 'fr_feature', flipAugment: true });
  await engine.load();
  for (const { id, jpeg } of await faceCrops()) originals.set(id, await engine.analyze(jpeg));
});

afterAll(async () => {
  await engine?.close();
});

describe('local engine on single-person photos', () => {
  it('finds exactly one good-quality face in every fixture crop', async () => {
    expect(originals.size).toBeGreaterThanOrEqual(8);
    for (const [id, a] of originals) {
      // s2-0 has a weak false positive in her hair, far too small to count as a second person.
      expect(a.faces.length, id).toBeGreaterThanOrEqual(1);
      expect(a.face.quality.issues, id).toEqual([]);
      expect(a.face.score, id).toBeGreaterThan(0.5);
      expect(a.face.quality.faceSize, id).toBeGreaterThan(150);
      expect(a.embedding).toBeInstanceOf(Float32Array);
      expect(a.embedding).toHaveLength(512);
      const norm = Math.hypot(...a.embedding);
      expect(norm).toBeCloseTo(1, 4);
    }
  });

  it('reports the engine model with the flip choice and a version', () => {
    const a = originals.get('s1-0')!;
    expect(a.engineInfo).toEqual({
      engine: 'local',
      model: 'mp-mesh+fr_feature+flip',
      version: '1.1',
      dimension: 512,
    });
    expect(engine.info).toEqual(a.engineInfo);
  });

  it('puts the five landmarks in ArcFace order (image-left eye first, eyes above the nose above the mouth)', () => {
    for (const [id, a] of originals) {
      const [le, re, nose, lm, rm] = a.face.landmarks;
      expect(le[0], id).toBeLessThan(re[0]);
      expect(lm[0], id).toBeLessThan(rm[0]);
      const box = a.face.box;
      for (const [x, y] of a.face.landmarks) {
        expect(x).toBeGreaterThan(box.x - 5);
        expect(x).toBeLessThan(box.x + box.width + 5);
        expect(y).toBeGreaterThan(box.y - 5);
        expect(y).toBeLessThan(box.y + box.height + 5);
      }
      // Works for tilted heads too: measure along the face's own vertical axis.
      const ux = re[0] - le[0];
      const uy = re[1] - le[1];
      const down = (p: readonly [number, number]) => -(p[0] - le[0]) * uy + (p[1] - le[1]) * ux;
      expect(down(nose), id).toBeGreaterThan(0);
      expect(down(lm), id).toBeGreaterThan(down(nose));
    }
  });

  const sameKinds: TransformKind[] = [
    'flip',
    'crop',
    'recompress',
    'exif-rotated',
    'png',
    'webp',
    'grayscale',
    'cmyk',
    '16bit',
    'alpha',
  ];
  for (const id of ['s1-0', 's3-0', 's5-0']) {
    it(`matches ${id} with its transformed copies`, async () => {
      const original = originals.get(id)!;
      for (const kind of sameKinds) {
        const copy = await engine.analyze(await transform(await faceCrop(id), kind));
        const score = cosine(original.embedding, copy.embedding);
        expect(score, `${id} ${kind}`).toBeGreaterThan(0.8);
        expect(score, `${id} ${kind}`).toBeGreaterThan(STRICT_THRESHOLD);
      }
    });
  }

  it('honours EXIF orientation (dimensions and face position match the upright original)', async () => {
    const original = originals.get('s1-0')!;
    const rotated = await engine.analyze(await transform(await faceCrop('s1-0'), 'exif-rotated'));
    expect(rotated.image.orientation).toBe(6);
    expect([rotated.image.width, rotated.image.height]).toEqual([
      original.image.width,
      original.image.height,
    ]);
    expect(Math.abs(rotated.face.box.x - original.face.box.x)).toBeLessThan(10);
    expect(Math.abs(rotated.face.box.y - original.face.box.y)).toBeLessThan(10);
  });

  it('keeps different people apart', () => {
    const entries = [...originals.entries()];
    const scores: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const s = cosine(entries[i]![1].embedding, entries[j]![1].embedding);
        scores.push(s);
        expect(s, `${entries[i]![0]} vs ${entries[j]![0]}`).toBeLessThan(0.5);
      }
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    expect(mean).toBeLessThan(0.2);
  });

  it('matches a face in a 150×150 LFW-style thumbnail (face ≈ 60 px) without throwing on size', async () => {
    const original = originals.get('s3-0')!;
    const { box } = original.face;
    const side = Math.round(box.width * 2.2);
    const meta = await sharp(await faceCrop('s3-0')).metadata();
    const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
    const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
    const thumb = await sharp(await faceCrop('s3-0'))
      .extract({
        left,
        top,
        width: Math.min(side, (meta.width ?? 0) - left),
        height: Math.min(side, (meta.height ?? 0) - top),
      })
      .resize(150, 150, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer();
    const small = await engine.analyze(thumb);
    expect(small.image.width).toBe(150);
    expect(small.face.box.width).toBeLessThan(90);
    expect(cosine(original.embedding, small.embedding)).toBeGreaterThan(STRICT_THRESHOLD);
    // A strict caller-supplied minimum is reported as an issue, never thrown.
    const strict = await engine.analyze(thumb, { minFaceSize: 200 });
    expect(strict.face.quality.issues.map((i) => i.code)).toContain('SMALL_FACE');
  });
});

describe('local engine quality checks', () => {
  it('flags a dark face as LOW_BRIGHTNESS with value and threshold', async () => {
    const a = await engine.analyze(await transform(await faceCrop('s3-0'), 'dark'));
    const issue = a.face.quality.issues.find((i) => i.code === 'LOW_BRIGHTNESS');
    expect(issue).toBeDefined();
    expect(issue!.value).toBeLessThan(issue!.threshold);
  });

  it('flags an overexposed face as OVEREXPOSED', async () => {
    const bright = await sharp(await faceCrop('s3-0'))
      .linear(1.3, 110)
      .jpeg()
      .toBuffer();
    const a = await engine.analyze(bright);
    expect(a.face.quality.issues.map((i) => i.code)).toContain('OVEREXPOSED');
  });

  it('flags a blurred face as LOW_SHARPNESS', async () => {
    for (const id of ['s1-0', 's3-0', 's5-0']) {
      const a = await engine.analyze(await transform(await faceCrop(id), 'blur'));
      const issue = a.face.quality.issues.find((i) => i.code === 'LOW_SHARPNESS');
      expect(issue, id).toBeDefined();
      expect(issue!.value).toBeLessThan(issue!.threshold);
    }
  });

  it('refuses a tiny picture: no face found, or SMALL_FACE', async () => {
    for (const id of ['s1-0', 's3-0', 's5-0']) {
      const tiny = await transform(await faceCrop(id), 'tiny');
      const result = await engine.detect(tiny);
      for (const face of result.faces) {
        expect(face.quality.issues.map((i) => i.code)).toContain('SMALL_FACE');
      }
    }
  });

  it('measures the roll of a picture turned by 90° and flags it as EXTREME_POSE', async () => {
    const a = await engine.detect(await transform(await faceCrop('s3-0'), 'rotate90'));
    expect(a.faces.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(Math.abs(a.faces[0]!.quality.pose.roll) - 90)).toBeLessThan(25);
    expect(a.faces[0]!.quality.issues.map((i) => i.code)).toContain('EXTREME_POSE');
  });

  it('flags a face cut by the picture edge as FACE_CUT_OFF', async () => {
    const original = originals.get('s3-0')!;
    const { box } = original.face;
    const cut = await sharp(await faceCrop('s3-0'))
      .extract({
        left: Math.round(box.x + box.width * 0.3),
        top: 0,
        width: Math.round(original.image.width - box.x - box.width * 0.3),
        height: original.image.height,
      })
      .jpeg()
      .toBuffer();
    const result = await engine.detect(cut);
    expect(result.faces.length).toBeGreaterThanOrEqual(1);
    const issue = result.faces[0]!.quality.issues.find((i) => i.code === 'FACE_CUT_OFF');
    expect(issue).toBeDefined();
    expect(issue!.value).toBeGreaterThan(issue!.threshold);
  });
});

describe('local engine on group photos', () => {
  // MediaPipe's full-range detector finds the small faces too (the default short range, the larger ones); same
  // model id as the default, so its embeddings compare with the crops'.
  let groupEngine: FaceEngine;
  beforeAll(async () => {
    groupEngine = testEngine({ embedder: 'fr_feature', flipAugment: true, detector: 'mediapipe-onnx-full' });
    await groupEngine.load();
  });
  afterAll(async () => {
    await groupEngine?.close();
  });

  it('the default detector flags a group photo as MULTIPLE_FACES', async () => {
    const result = await engine.detect(await groupPhoto(5));
    expect(result.faces.length).toBeGreaterThanOrEqual(2);
    expect(result.faces[0]!.quality.issues.map((i) => i.code)).toContain('MULTIPLE_FACES');
  });

  it('returns every face, most prominent first, with MULTIPLE_FACES on the primary', async () => {
    expect(groupEngine.info.model).toBe(engine.info.model);
    const result = await groupEngine.detect(await groupPhoto(5));
    expect(result.image.width).toBe(1920);
    expect(result.faces.length).toBe(5);
    const primary = result.faces[0]!;
    const multiple = primary.quality.issues.find((i) => i.code === 'MULTIPLE_FACES');
    expect(multiple).toBeDefined();
    expect(multiple!.value).toBeGreaterThanOrEqual(multiple!.threshold);
    // Coordinates are in original-image pixels although detection ran on a downscaled copy.
    for (const face of result.faces) {
      expect(face.box.x + face.box.width).toBeLessThanOrEqual(1921);
      expect(face.box.width).toBeGreaterThan(200);
    }
    for (const face of result.faces.slice(1)) {
      expect(face.quality.issues.map((i) => i.code)).not.toContain('MULTIPLE_FACES');
    }
  });

  it('finds the people of the fixture crops in their group photo', async () => {
    const analysis = await groupEngine.analyze(await groupPhoto(1));
    expect(analysis.faces.length).toBe(3);
    const scores = ['s1-0', 's1-1', 's1-2'].map((id) =>
      cosine(analysis.embedding, originals.get(id)!.embedding),
    );
    expect(Math.max(...scores)).toBeGreaterThan(0.8);
  });

  it('handles concurrent calls on one engine', async () => {
    const crops = (await faceCrops()).slice(0, 4);
    const results = await Promise.all(crops.map((c) => engine.analyze(c.jpeg)));
    results.forEach((r, i) => {
      expect(cosine(r.embedding, originals.get(crops[i]!.id)!.embedding)).toBeGreaterThan(0.9999);
    });
  });
});
