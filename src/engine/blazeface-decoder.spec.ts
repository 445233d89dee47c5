import { describe, expect, it } from 'vitest';
import {
  type BlazeDetection,
  blazeFaceAnchors,
  decodeBlazeFace,
  FULL_RANGE,
  iou,
  SHORT_RANGE,
  weightedNms,
} from './blazeface-decoder.js';

function detection(x: number, y: number, side: number, score: number, key = 0): BlazeDetection {
  return {
    xMin: x,
    yMin: y,
    xMax: x + side,
    yMax: y + side,
    score,
    keypoints: Array.from({ length: 6 }, () => [key, key] as [number, number]),
  };
}

describe('blazeFaceAnchors', () => {
  it('full range: one anchor per 4-px cell of 192 (2304)', () => {
    const a = blazeFaceAnchors(FULL_RANGE);
    expect(a.length).toBe(2304 * 2);
    const expected = [1 / 96, 1 / 96, 3 / 96, 1 / 96];
    for (const [i, v] of expected.entries()) expect(a[i]).toBeCloseTo(v, 6);
    // Anchor 48 opens the second row.
    expect(a[96]).toBeCloseTo(1 / 96, 6);
    expect(a[97]).toBeCloseTo(3 / 96, 6);
  });

  it('short range: 2 anchors per 8-px cell, then 6 per 16-px cell, row by row (896 in all)', () => {
    const a = blazeFaceAnchors(SHORT_RANGE);
    expect(a.length).toBe(896 * 2);
    expect([a[0], a[1], a[2], a[3]]).toEqual([0.03125, 0.03125, 0.03125, 0.03125]);
    // Third anchor: next cell to the right in the first row.
    expect([a[4], a[5]]).toEqual([0.09375, 0.03125]);
    // Anchor 512 opens the 8×8 grid; the last sits in its bottom-right cell.
    expect([a[1024], a[1025]]).toEqual([0.0625, 0.0625]);
    expect([a[1790], a[1791]]).toEqual([0.9375, 0.9375]);
  });
});

describe('decodeBlazeFace', () => {
  it('decodes box and keypoints relative to the anchor and keeps scores at or above the threshold', () => {
    const anchors = Float32Array.from([0.25, 0.5, 0.75, 0.75]);
    const regressors = new Float32Array(32);
    // Anchor 0: centre moved by (+12.8, −6.4) px, box 32×64 px, keypoint k at (+k, −k) px.
    regressors.set([12.8, -6.4, 32, 64], 0);
    for (let k = 0; k < 6; k++) regressors.set([k, -k], 4 + 2 * k);
    const scores = Float32Array.from([0, -3]);
    const [d, ...rest] = decodeBlazeFace(regressors, scores, anchors, 0.5, 128);
    expect(rest).toHaveLength(0);
    expect(d!.score).toBeCloseTo(0.5, 10);
    expect(d!.xMin).toBeCloseTo(0.35 - 0.125, 6);
    expect(d!.xMax).toBeCloseTo(0.35 + 0.125, 6);
    expect(d!.yMin).toBeCloseTo(0.45 - 0.25, 6);
    expect(d!.yMax).toBeCloseTo(0.45 + 0.25, 6);
    expect(d!.keypoints[3]![0]).toBeCloseTo(0.25 + 3 / 128, 6);
    expect(d!.keypoints[3]![1]).toBeCloseTo(0.5 - 3 / 128, 6);
    expect(decodeBlazeFace(regressors, scores, anchors, 0.04, 128)).toHaveLength(2);
  });

  it('clips huge logits instead of overflowing', () => {
    const [d] = decodeBlazeFace(
      new Float32Array(16),
      Float32Array.from([1e6]),
      Float32Array.from([0, 0]),
      0.5,
      128,
    );
    expect(d!.score).toBe(1);
  });
});

describe('weightedNms', () => {
  it('merges overlapping detections into their score-weighted mean and keeps the best score', () => {
    const a = detection(0, 0, 1, 0.9, 0);
    const b = detection(0.1, 0, 1, 0.6, 1);
    const far = detection(5, 5, 1, 0.7, 3);
    expect(iou(a, b)).toBeCloseTo(0.9 / 1.1, 10);
    const [first, second, ...rest] = weightedNms([b, far, a], 0.3);
    expect(rest).toHaveLength(0);
    expect(first!.score).toBe(0.9);
    expect(first!.xMin).toBeCloseTo((0.9 * 0 + 0.6 * 0.1) / 1.5, 10);
    expect(first!.keypoints[0]![0]).toBeCloseTo(0.6 / 1.5, 10);
    expect(second).toEqual(far);
  });

  it('keeps detections that overlap no more than the threshold, and at most maxFaces', () => {
    const a = detection(0, 0, 1, 0.9);
    const b = detection(0.6, 0, 1, 0.8);
    expect(iou(a, b)).toBeLessThan(0.3);
    expect(weightedNms([a, b], 0.3)).toHaveLength(2);
    expect(weightedNms([a, b], 0.3, 1)).toEqual([a]);
  });
});
