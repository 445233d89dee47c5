import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FacegateError } from '../domain/errors.js';
import type { EngineInfo, FaceAnalysis, FaceEngine } from '../engine/face-engine.port.js';
import { EmbeddingCache } from './embedding-cache.js';
import { runEvaluation } from './eval.service.js';
import { calibrationRecord, saveCalibration, thinRoc, writeEvalOutputs } from './eval-output.js';
import { calibrateThresholds } from './eval-report.js';
import { generatePairs, loadFacesDataset, parsePairs } from './faces-dataset.js';
import { sortDescending } from './metrics.js';
import { renderRocSvg } from './roc-svg.js';

const DIM = 16;

/** Image files hold "identity:k" (or "noface"); the fake embeds identity direction + small per-k noise. */
class FakeEngine implements FaceEngine {
  calls = 0;
  constructor(
    readonly info: EngineInfo = { engine: 'fake', model: 'fake-model', version: '1', dimension: DIM },
  ) {}
  async load(): Promise<void> {}
  async close(): Promise<void> {}
  async detect(): Promise<never> {
    throw new Error('not used');
  }
  async analyze(image: Uint8Array): Promise<FaceAnalysis> {
    this.calls++;
    const text = Buffer.from(image).toString('utf8');
    if (text === 'noface') throw new FacegateError('NO_FACE', 'no face');
    const [id, k] = text.split(':');
    const v = new Float32Array(DIM);
    let h = 0;
    for (const c of id ?? '') h = (h * 31 + c.charCodeAt(0)) % 9973;
    for (let d = 0; d < DIM; d++) v[d] = Math.sin(h * (d + 1)) + 0.05 * Math.cos(Number(k) * (d + 3));
    const n = Math.hypot(...v);
    for (let d = 0; d < DIM; d++) v[d] = (v[d] as number) / n;
    const face = {
      box: { x: 0, y: 0, width: 10, height: 10 },
      landmarks: [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ] as const,
      score: 1,
      quality: {
        faceSize: 10,
        sharpness: 1,
        brightness: 0.5,
        pose: { yaw: 0, pitch: 0, roll: 0 },
        issues: [],
      },
    };
    return {
      image: { format: 'jpeg', width: 10, height: 10, orientation: 1 },
      faces: [face],
      face,
      embedding: v,
      engineInfo: this.info,
      timings: { total: 10 + Number(k) },
    };
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-eval-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function makeFaces(layout: Record<string, string[]>): Promise<string> {
  const faces = join(dir, 'faces');
  for (const [id, files] of Object.entries(layout)) {
    await mkdir(join(faces, id), { recursive: true });
    for (const [k, f] of files.entries()) {
      await writeFile(join(faces, id, f), f.startsWith('noface') ? 'noface' : `${id}:${k}`);
    }
  }
  return faces;
}

const LAYOUT = {
  alice: ['1.jpg', '2.jpg', '3.jpg'],
  bob: ['1.jpg', '2.jpg', 'noface.jpg'],
  carol: ['1.jpg', '2.jpg'],
  dave: ['1.jpg'],
  erin: ['1.jpg'],
};

const baseOptions = { identify: true, embedder: 'fr_feature', flip: false, margin: 0.05, concurrency: 3 };

describe('runEvaluation', () => {
  it('builds all genuine pairs, seeded impostors, and counts a missing face as a failed genuine comparison', async () => {
    const faces = await makeFaces(LAYOUT);
    const engine = new FakeEngine();
    const { report, pairs } = await runEvaluation(engine, { ...baseOptions, faces });
    expect(report.images).toBe(10);
    expect(report.detected).toBe(9);
    expect(report.identities).toBe(5);
    expect(report.genuine_pairs).toBe(3 + 3 + 1);
    expect(report.pairs_source).toBe('generated');
    // 45 pairs in all, 7 genuine: every one of the 38 impostor pairs (fewer than 20× genuine exist)
    expect(report.impostor_pairs).toBe(38);
    // bob's two pairs with the faceless image are rejects at every threshold: TAR ≤ 5/7
    expect(report['tar_at_far_1e-2']).toBeCloseTo(5 / 7, 6);
    expect(pairs.filter((p) => p.score === Number.NEGATIVE_INFINITY && p.same)).toHaveLength(2);
    expect(report.lfw_accuracy).toBeNull();
    expect(report.engine.model).toBe('fake-model');
    expect(report.ms_per_image_median).toBeGreaterThanOrEqual(10);
    expect(engine.calls).toBe(10);
    expect(report.identify?.gallery_identities).toBe(3);
    expect(report.identify?.mated_probes).toBe(5);
    expect(report.identify?.non_mated_probes).toBe(2);
    // 4 of 5 mated probes have a face and are near their identity
    expect(report.rank1).toBe(0.8);
    expect(JSON.parse(JSON.stringify(report))).toMatchObject({
      images: 10,
      'tar_at_far_1e-4': expect.any(Number),
    });
  });

  it('uses pairs.tsv and lfw_pairs.tsv when present', async () => {
    const faces = await makeFaces(LAYOUT);
    await writeFile(
      join(faces, 'pairs.tsv'),
      'a\tb\tsame\nalice/1.jpg\talice/2.jpg\t1\nalice/1.jpg\tbob/1.jpg\t0\nbob/1.jpg\tbob/noface.jpg\t1\n',
    );
    await writeFile(
      join(faces, 'lfw_pairs.tsv'),
      'a\tb\tsame\tfold\nalice/1.jpg\talice/2.jpg\t1\t1\nalice/1.jpg\tbob/1.jpg\t0\t1\n' +
        'carol/1.jpg\tcarol/2.jpg\t1\t2\ncarol/1.jpg\tdave/1.jpg\t0\t2\n',
    );
    const { report } = await runEvaluation(new FakeEngine(), { ...baseOptions, identify: false, faces });
    expect(report.pairs_source).toBe('pairs.tsv');
    expect(report.genuine_pairs).toBe(2);
    expect(report.impostor_pairs).toBe(1);
    expect(report['tar_at_far_1e-3']).toBe(0.5);
    expect(report.lfw_accuracy).toBe(1);
    expect(report.lfw_pairs).toBe(4);
    expect(report.identify).toBeUndefined();
  });

  it('refuses pair lists that name unknown images', async () => {
    const faces = await makeFaces(LAYOUT);
    await writeFile(join(faces, 'pairs.tsv'), 'a\tb\tsame\nalice/1.jpg\tzed/1.jpg\t0\n');
    await expect(runEvaluation(new FakeEngine(), { ...baseOptions, faces })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('re-uses the embedding cache and refuses a cache from another model', async () => {
    const faces = await makeFaces(LAYOUT);
    const cacheFile = join(dir, 'cache.jsonl');
    const first = new FakeEngine();
    const a = await runEvaluation(first, { ...baseOptions, faces, cacheFile });
    const second = new FakeEngine();
    const b = await runEvaluation(second, { ...baseOptions, faces, cacheFile });
    expect(second.calls).toBe(0);
    expect(b.report).toEqual(a.report);
    // an edited image is embedded again
    await writeFile(join(faces, 'alice', '3.jpg'), 'alice:7');
    const third = new FakeEngine();
    await runEvaluation(third, { ...baseOptions, faces, cacheFile });
    expect(third.calls).toBe(1);
    const other = new FakeEngine({ engine: 'fake', model: 'other-model', version: '1', dimension: DIM });
    await expect(runEvaluation(other, { ...baseOptions, faces, cacheFile })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
    });
    await expect(
      runEvaluation(new FakeEngine(), { ...baseOptions, flip: true, faces, cacheFile }),
    ).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('resumes from a cache torn mid-line', async () => {
    const faces = await makeFaces(LAYOUT);
    const cacheFile = join(dir, 'cache.jsonl');
    await runEvaluation(new FakeEngine(), { ...baseOptions, faces, cacheFile });
    const text = await readFile(cacheFile, 'utf8');
    await writeFile(cacheFile, text.slice(0, text.length - 40));
    const engine = new FakeEngine();
    const cache = await EmbeddingCache.open(cacheFile, engine.info, {
      embedder: 'fr_feature',
      flip: false,
      minFaceSize: null,
    });
    expect(cache.size).toBe(9);
    await runEvaluation(engine, { ...baseOptions, faces, cacheFile });
    expect(engine.calls).toBe(1);
  });

  it('limits to whole identities', async () => {
    const faces = await makeFaces(LAYOUT);
    const { report } = await runEvaluation(new FakeEngine(), { ...baseOptions, faces, limit: 7 });
    expect(report.images).toBe(6);
    expect(report.identities).toBe(2);
  });

  it('writes the output folder and the calibration file', async () => {
    const faces = await makeFaces(LAYOUT);
    const result = await runEvaluation(new FakeEngine(), {
      ...baseOptions,
      faces,
      thresholds: { strict: 0.99, balanced: 0.9, lenient: 0.8, measuredOn: 'test' },
    });
    const out = join(dir, 'out');
    const files = await writeEvalOutputs(out, result);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'identify.csv',
      'report.json',
      'roc.svg',
      'scores.csv',
    ]);
    const csv = await readFile(join(out, 'scores.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('a,b,same,score');
    expect(csv).toContain('bob/1.jpg,bob/noface.jpg,1,\n');
    expect(await readFile(join(out, 'roc.svg'), 'utf8')).toMatch(/^<svg[^>]+xmlns/);
    const written = await saveCalibration(join(dir, 'data'), result, faces);
    expect(written).toHaveLength(2);
    const saved = JSON.parse(await readFile(join(dir, 'data', 'calibration', 'last.json'), 'utf8'));
    expect(saved).toMatchObject({
      format: 1,
      engine: { model: 'fake-model' },
      presets: { balanced: { threshold: 0.9, target_far: 1e-4 } },
      images: 10,
    });
    expect(saved.roc.length).toBeGreaterThan(0);
    expect(calibrationRecord(result, faces).identify?.rank1).toBe(0.8);
  });
});

describe('faces dataset', () => {
  const images = ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((id) =>
    [1, 2, 3, 4, 5].map((k) => ({ rel: `${id}/${k}.jpg`, identity: id })),
  );

  it('generates deterministic, distinct impostor pairs of different identities', () => {
    const pairs = generatePairs(images, 1, 1);
    expect(generatePairs(images, 1, 1)).toEqual(pairs);
    expect(generatePairs(images, 2, 1)).not.toEqual(pairs);
    const impostors = pairs.filter((p) => !p.same);
    expect(pairs.filter((p) => p.same)).toHaveLength(60);
    expect(impostors).toHaveLength(Math.min(375, 1000));
    expect(impostors.every((p) => p.a.split('/')[0] !== p.b.split('/')[0])).toBe(true);
    expect(new Set(impostors.map((p) => `${p.a}|${p.b}`)).size).toBe(impostors.length);
  });

  it('parses pair lists by header and rejects bad rows', () => {
    expect(parsePairs('same\tb\ta\n1\ty\tx\n', 'p', false)).toEqual([{ a: 'x', b: 'y', same: true }]);
    expect(() => parsePairs('a\tb\tsame\nx\ty\tmaybe\n', 'p', false)).toThrow(/line 2/);
    expect(() => parsePairs('a\tb\n', 'p', false)).toThrow(/same/);
    expect(() => parsePairs('a\tb\tsame\tfold\nx\ty\t1\tz\n', 'p', true)).toThrow(/fold/);
  });

  it('refuses a missing or empty folder', async () => {
    await expect(loadFacesDataset(join(dir, 'nope'))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(loadFacesDataset(dir)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('calibration rule and charts', () => {
  it('extrapolates the strict threshold conservatively', () => {
    // 10 000 impostors 0, 0.0001, ..., 0.9999: FAR 1e-3 lets 10 through (just above the 11th highest, 0.9989),
    // FAR 1e-4 lets 1 through (just above 0.9998); both rounded up to 3 decimals
    const imp = sortDescending(Array.from({ length: 10_000 }, (_, i) => i / 10_000));
    const c = calibrateThresholds(imp);
    expect(c.lenient).toBe(0.999);
    expect(c.balanced).toBe(1);
    expect(c.strict).toBeGreaterThanOrEqual(c.balanced as number);
    // a tail where the 1e-4 → 1e-5 step is wider than the max: extrapolation wins
    const tail = sortDescending([0.5, 0.4, ...Array.from({ length: 9998 }, (_, i) => 0.3 * (i / 9998))]);
    const t = calibrateThresholds(tail);
    expect(t.strict).toBeGreaterThan(0.5);
  });

  it('renders an SVG with a log FAR axis and thins the ROC', () => {
    const roc = [
      { threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 },
      { threshold: 0.9, far: 0, tar: 0.8 },
      { threshold: 0.5, far: 1e-3, tar: 0.9 },
      { threshold: 0.1, far: 1, tar: 1 },
    ];
    const svg = renderRocSvg([{ label: 'a<b', points: roc }], {
      title: 't',
      markers: [{ far: 1e-3, tar: 0.9, label: 'm' }],
    });
    expect(svg).toContain('1e-5');
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('<circle');
    const thin = thinRoc(roc, 6);
    expect(thin.map((p) => p.far)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(thin.map((p) => p.tar)).toEqual([0.8, 0.8, 0.9, 0.9, 0.9, 1]);
  });
});
