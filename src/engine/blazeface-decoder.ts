/**
 * Decoding of MediaPipe's BlazeFace outputs (`face_detection_short_range.tflite`, 128×128 input, and
 * `face_detection_full_range.tflite`, 192×192): SSD anchors, box and keypoint regression, sigmoid scores and
 * weighted non-maximum suppression, with the options of MediaPipe's `face_detection_short_range` /
 * `face_detection_full_range` graphs (SsdAnchorsCalculator, TensorsToDetectionsCalculator,
 * NonMaxSuppressionCalculator WEIGHTED / IoU 0.3).
 */

import { at } from '../util/checked-access.js';

/** A decoded detection in coordinates relative to the model input (0..1 across the 128×128 square). */
export interface BlazeDetection {
  /** Box corners, relative. */
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
  /** Sigmoid score 0..1. */
  score: number;
  /**
   * Six keypoints [x, y], relative: subject's right eye (image-left), left eye, nose tip, mouth centre,
   * right ear tragion, left ear tragion.
   */
  keypoints: Array<[number, number]>;
}

/** One BlazeFace model: input side and anchor layers (stride, anchors per cell; fixed anchor size 1×1). */
export interface BlazeFaceVariant {
  input: number;
  layers: ReadonlyArray<{ stride: number; perCell: number }>;
  /** MediaPipe's `min_score_thresh` for the model. */
  minScore: number;
}

/** Short range (faces within ~2 m): stride 8 with 2 anchors per cell, the three stride-16 layers merged into 6. */
export const SHORT_RANGE: BlazeFaceVariant = {
  input: 128,
  layers: [
    { stride: 8, perCell: 2 },
    { stride: 16, perCell: 6 },
  ],
  minScore: 0.5,
};

/** Full range (faces within ~5 m): one anchor per 4-pixel cell of a 192×192 input. */
export const FULL_RANGE: BlazeFaceVariant = {
  input: 192,
  layers: [{ stride: 4, perCell: 1 }],
  minScore: 0.6,
};

const NUM_COORDS = 16;
const NUM_KEYPOINTS = 6;
const SCORE_CLIP = 100;

/** Anchor centres [x0, y0, x1, y1, …] (relative), row by row, cell by cell (896 short range, 2304 full range). */
export function blazeFaceAnchors(variant: BlazeFaceVariant): Float32Array {
  const out: number[] = [];
  for (const { stride, perCell } of variant.layers) {
    const cells = Math.ceil(variant.input / stride);
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++)
        for (let k = 0; k < perCell; k++) out.push((x + 0.5) / cells, (y + 0.5) / cells);
  }
  return Float32Array.from(out);
}

/**
 * Decodes every anchor whose sigmoid score reaches `minScore`: `regressors` is `[anchors × 16]` (x, y, w, h, then
 * six keypoints, in pixels of the `input`-sized model input relative to the anchor), `scores` the logits.
 */
export function decodeBlazeFace(
  regressors: Float32Array,
  scores: Float32Array,
  anchors: Float32Array,
  minScore: number,
  input: number,
): BlazeDetection[] {
  const count = anchors.length / 2;
  const out: BlazeDetection[] = [];
  const s = input;
  // Hot loop over typed arrays whose lengths the model fixes; `?? 0` only satisfies the index check.
  for (let i = 0; i < count; i++) {
    const logit = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, scores[i] ?? 0));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const r = i * NUM_COORDS;
    const ax = anchors[2 * i] ?? 0;
    const ay = anchors[2 * i + 1] ?? 0;
    const cx = (regressors[r] ?? 0) / s + ax;
    const cy = (regressors[r + 1] ?? 0) / s + ay;
    const w = (regressors[r + 2] ?? 0) / s;
    const h = (regressors[r + 3] ?? 0) / s;
    const keypoints: Array<[number, number]> = [];
    for (let k = 0; k < NUM_KEYPOINTS; k++) {
      keypoints.push([(regressors[r + 4 + 2 * k] ?? 0) / s + ax, (regressors[r + 5 + 2 * k] ?? 0) / s + ay]);
    }
    out.push({ xMin: cx - w / 2, yMin: cy - h / 2, xMax: cx + w / 2, yMax: cy + h / 2, score, keypoints });
  }
  return out;
}

/** Intersection over union of two boxes. */
export function iou(a: BlazeDetection, b: BlazeDetection): number {
  const ix = Math.max(0, Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin));
  const iy = Math.max(0, Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin));
  const inter = ix * iy;
  const union = (a.xMax - a.xMin) * (a.yMax - a.yMin) + (b.xMax - b.xMin) * (b.yMax - b.yMin) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted NMS: the best remaining detection absorbs every detection overlapping it by more than
 * `threshold` IoU (itself included); box and keypoints become their score-weighted mean, the score stays the best.
 */
export function weightedNms(
  detections: BlazeDetection[],
  threshold = 0.3,
  maxFaces = Infinity,
): BlazeDetection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: BlazeDetection[] = [];
  while (remaining.length > 0 && out.length < maxFaces) {
    const best = at(remaining, 0);
    const group: BlazeDetection[] = [];
    const rest: BlazeDetection[] = [];
    for (const d of remaining) (iou(best, d) > threshold || d === best ? group : rest).push(d);
    out.push(weightedMean(group, best.score));
    remaining = rest;
  }
  return out;
}

function weightedMean(group: BlazeDetection[], score: number): BlazeDetection {
  if (group.length === 1) return at(group, 0);
  const total = group.reduce((a, d) => a + d.score, 0);
  const mean = (f: (d: BlazeDetection) => number): number =>
    group.reduce((a, d) => a + f(d) * d.score, 0) / total;
  return {
    xMin: mean((d) => d.xMin),
    yMin: mean((d) => d.yMin),
    xMax: mean((d) => d.xMax),
    yMax: mean((d) => d.yMax),
    score,
    keypoints: at(group, 0).keypoints.map((_, k) => [
      mean((d) => at(d.keypoints, k)[0]),
      mean((d) => at(d.keypoints, k)[1]),
    ]),
  };
}
