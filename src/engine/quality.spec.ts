import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE_112, applySimilarity } from './alignment.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import {
  MAX_CUT_OFF,
  measureFace,
  type QualityLimits,
  type QualityMeasures,
  qualityIssues,
  rankFaces,
} from './quality.js';

const limits: QualityLimits = {
  minFaceSize: 40,
  maxYaw: 35,
  maxPitch: 30,
  maxRoll: 50,
  minSharpness: 0.02,
  minBrightness: 0.15,
  maxBrightness: 0.92,
};

const good: QualityMeasures = {
  faceSize: 200,
  sharpness: 0.3,
  brightness: 0.5,
  cutOff: 0,
  pose: { yaw: 5, pitch: -3, roll: 10 },
};

describe('qualityIssues', () => {
  it('accepts a good face', () => {
    expect(qualityIssues(good, limits)).toEqual([]);
  });

  it('reports each failed check with its value and threshold', () => {
    const codes = (m: Partial<QualityMeasures>) => qualityIssues({ ...good, ...m }, limits);
    expect(codes({ faceSize: 30 })).toMatchObject([{ code: 'SMALL_FACE', value: 30, threshold: 40 }]);
    expect(codes({ sharpness: 0.01 })).toMatchObject([
      { code: 'LOW_SHARPNESS', value: 0.01, threshold: 0.02 },
    ]);
    expect(codes({ brightness: 0.1 })).toMatchObject([
      { code: 'LOW_BRIGHTNESS', value: 0.1, threshold: 0.15 },
    ]);
    expect(codes({ brightness: 0.95 })).toMatchObject([
      { code: 'OVEREXPOSED', value: 0.95, threshold: 0.92 },
    ]);
    expect(codes({ cutOff: 0.5 })).toMatchObject([
      { code: 'FACE_CUT_OFF', value: 0.5, threshold: MAX_CUT_OFF },
    ]);
  });

  it('reports the worst pose axis relative to its limit', () => {
    const issues = qualityIssues({ ...good, pose: { yaw: -40, pitch: 45, roll: 0 } }, limits);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'EXTREME_POSE', value: 45, threshold: 30 });
    expect(issues[0]!.message).toContain('pitch');
  });
});

describe('rankFaces', () => {
  const face = (faceSize: number, x: number, y: number) => ({ faceSize, center: [x, y] as const });

  it('puts the largest face first and flags a rival at least half its size', () => {
    const { ordered, multiple } = rankFaces(
      [face(100, 100, 100), face(300, 500, 400), face(160, 900, 100)],
      1000,
      800,
    );
    expect(ordered.map((f) => f.faceSize)).toEqual([300, 160, 100]);
    expect(multiple).toMatchObject({ code: 'MULTIPLE_FACES', value: 0.53, threshold: 0.5 });
  });

  it('ignores small background faces', () => {
    const { multiple } = rankFaces([face(300, 500, 400), face(100, 50, 50)], 1000, 800);
    expect(multiple).toBeUndefined();
  });

  it('prefers the central face when sizes are close', () => {
    const { ordered } = rankFaces([face(205, 20, 20), face(200, 500, 400)], 1000, 800);
    expect(ordered[0]!.center).toEqual([500, 400]);
  });
});

describe('measureFace', () => {
  function scene(brightness: number, stripes: boolean): RgbImage {
    const width = 400;
    const height = 400;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = stripes && (x >> 2) % 2 === 0 ? brightness * 1.6 : brightness * 0.4;
        data.fill(Math.min(255, Math.round(v)), (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    return { data, width, height };
  }
  const landmarks = ARCFACE_TEMPLATE_112.map((p) =>
    applySimilarity({ a: 2, b: 0, tx: 90, ty: 80 }, p),
  ) as unknown as FiveLandmarks;
  const raw = { box: { x: 90, y: 80, width: 224, height: 224 }, landmarks, score: 1, pose: good.pose };

  it('measures size from the alignment scale and brightness of the inner face', () => {
    const m = measureFace(scene(128, true), raw);
    expect(m.faceSize).toBeCloseTo(224, 0);
    expect(m.brightness).toBeGreaterThan(0.3);
    expect(m.brightness).toBeLessThan(0.7);
    expect(m.cutOff).toBe(0);
  });

  it('finds texture sharp and a flat face not sharp', () => {
    expect(measureFace(scene(128, true), raw).sharpness).toBeGreaterThan(0.1);
    expect(measureFace(scene(128, false), raw).sharpness).toBeLessThan(0.02);
  });

  it('measures how much of the crop leaves the picture', () => {
    const shifted = {
      ...raw,
      landmarks: landmarks.map(([x, y]) => [x + 250, y] as const) as unknown as FiveLandmarks,
    };
    expect(measureFace(scene(128, true), shifted).cutOff).toBeGreaterThan(0.5);
  });
});
