import type { FacegateConfig } from '../config/config.js';
import { ARCFACE_TEMPLATE_112, estimateSimilarity, invertSimilarity, warpSimilarity } from './alignment.js';
import type { RawFace } from './face-detector.js';
import type { FaceQuality, Pose, QualityIssue } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

/** Limits of the quality checks: the quality fields of `config.engine`. */
export type QualityLimits = Pick<
  FacegateConfig['engine'],
  'minFaceSize' | 'maxYaw' | 'maxPitch' | 'maxRoll' | 'minSharpness' | 'minBrightness' | 'maxBrightness'
>;

/** Largest fraction of the aligned face crop that may fall outside the image. */
export const MAX_CUT_OFF = 0.2;
/** A second face at least this fraction of the primary's size makes the photo ambiguous. */
export const MULTIPLE_FACES_RATIO = 0.5;

/** Quality figures measured on one face, before issues are derived. */
export interface QualityMeasures {
  faceSize: number;
  sharpness: number;
  brightness: number;
  cutOff: number;
  pose: Pose;
}

/**
 * Measures one face: size (side of the 112-px ArcFace crop region in image pixels), sharpness (variance of
 * the Laplacian of the aligned grayscale crop divided by its grey-level variance, so contrast and exposure
 * cancel out), brightness (mean luminance 0..1 of the inner face) and how much of the crop lies outside.
 */
export function measureFace(image: RgbImage, face: RawFace): QualityMeasures {
  const toCrop = estimateSimilarity(face.landmarks, ARCFACE_TEMPLATE_112);
  const scale = Math.hypot(toCrop.a, toCrop.b);
  const crop = warpSimilarity(image, toCrop, 112);
  const gray = new Float32Array(112 * 112);
  for (let i = 0; i < gray.length; i++) {
    gray[i] =
      0.299 * (crop.data[i * 3] ?? 0) +
      0.587 * (crop.data[i * 3 + 1] ?? 0) +
      0.114 * (crop.data[i * 3 + 2] ?? 0);
  }
  // Inner face (eyebrows to chin, cheek to cheek) so hair and background do not count.
  const x0 = 24;
  const x1 = 88;
  const y0 = 36;
  const y1 = 104;
  let sum = 0;
  let sumSq = 0;
  let lapSum = 0;
  let lapSq = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const g = gray[y * 112 + x] ?? 0;
      const lap =
        (gray[(y - 1) * 112 + x] ?? 0) +
        (gray[(y + 1) * 112 + x] ?? 0) +
        (gray[y * 112 + x - 1] ?? 0) +
        (gray[y * 112 + x + 1] ?? 0) -
        4 * g;
      sum += g;
      sumSq += g * g;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);
  const lapVar = Math.max(0, lapSq / n - (lapSum / n) ** 2);
  return {
    faceSize: 112 / scale,
    sharpness: lapVar / (variance + 25),
    brightness: mean / 255,
    cutOff: outsideFraction(image, invertSimilarity(toCrop)),
    pose: face.pose,
  };
}

function outsideFraction(image: RgbImage, inv: { a: number; b: number; tx: number; ty: number }): number {
  let outside = 0;
  const steps = 16;
  for (let j = 0; j < steps; j++) {
    for (let i = 0; i < steps; i++) {
      const u = ((i + 0.5) * 112) / steps;
      const v = ((j + 0.5) * 112) / steps;
      const x = inv.a * u - inv.b * v + inv.tx;
      const y = inv.b * u + inv.a * v + inv.ty;
      if (x < 0 || y < 0 || x >= image.width || y >= image.height) outside++;
    }
  }
  return outside / (steps * steps);
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Turns measures into issues, each with the measured value and the threshold it broke. */
export function qualityIssues(m: QualityMeasures, limits: QualityLimits): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (m.faceSize < limits.minFaceSize) {
    issues.push({
      code: 'SMALL_FACE',
      value: r2(m.faceSize),
      threshold: limits.minFaceSize,
      message: `Face is ${Math.round(m.faceSize)} px; at least ${limits.minFaceSize} px needed`,
    });
  }
  const axes = [
    { name: 'yaw', value: Math.abs(m.pose.yaw), limit: limits.maxYaw },
    { name: 'pitch', value: Math.abs(m.pose.pitch), limit: limits.maxPitch },
    { name: 'roll', value: Math.abs(m.pose.roll), limit: limits.maxRoll },
  ].filter((a) => a.value > a.limit);
  if (axes.length > 0) {
    const worst = axes.reduce((w, a) => (a.value / a.limit > w.value / w.limit ? a : w));
    issues.push({
      code: 'EXTREME_POSE',
      value: r2(worst.value),
      threshold: worst.limit,
      message: `Head ${worst.name} is ${Math.round(worst.value)}°; at most ${worst.limit}° allowed`,
    });
  }
  if (m.sharpness < limits.minSharpness) {
    issues.push({
      code: 'LOW_SHARPNESS',
      value: Math.round(m.sharpness * 1000) / 1000,
      threshold: limits.minSharpness,
      message: 'Face is blurred or out of focus',
    });
  }
  if (m.brightness < limits.minBrightness) {
    issues.push({
      code: 'LOW_BRIGHTNESS',
      value: r2(m.brightness),
      threshold: limits.minBrightness,
      message: 'Face is too dark',
    });
  } else if (m.brightness > limits.maxBrightness) {
    issues.push({
      code: 'OVEREXPOSED',
      value: r2(m.brightness),
      threshold: limits.maxBrightness,
      message: 'Face is overexposed',
    });
  }
  if (m.cutOff > MAX_CUT_OFF) {
    issues.push({
      code: 'FACE_CUT_OFF',
      value: r2(m.cutOff),
      threshold: MAX_CUT_OFF,
      message: 'Part of the face is outside the picture',
    });
  }
  return issues;
}

/** Builds the FaceQuality of one face. */
export function assessFace(m: QualityMeasures, limits: QualityLimits): FaceQuality {
  return {
    faceSize: r2(m.faceSize),
    sharpness: Math.round(m.sharpness * 1000) / 1000,
    brightness: r2(m.brightness),
    pose: { yaw: r2(m.pose.yaw), pitch: r2(m.pose.pitch), roll: r2(m.pose.roll) },
    issues: qualityIssues(m, limits),
  };
}

/**
 * Orders faces most prominent first (largest, with a bonus for being central) and returns the
 * MULTIPLE_FACES issue for the primary face when another face is at least half its size.
 */
export function rankFaces<T extends { faceSize: number; center: readonly [number, number] }>(
  faces: T[],
  width: number,
  height: number,
): { ordered: T[]; multiple: QualityIssue | undefined } {
  const halfDiag = Math.hypot(width, height) / 2 || 1;
  const prominence = (f: T) =>
    f.faceSize * (1 - (0.3 * Math.hypot(f.center[0] - width / 2, f.center[1] - height / 2)) / halfDiag);
  const ordered = [...faces].sort((a, b) => prominence(b) - prominence(a));
  const primary = ordered[0];
  if (!primary || ordered.length < 2) return { ordered, multiple: undefined };
  const rival = Math.max(...ordered.slice(1).map((f) => f.faceSize)) / primary.faceSize;
  if (rival < MULTIPLE_FACES_RATIO) return { ordered, multiple: undefined };
  return {
    ordered,
    multiple: {
      code: 'MULTIPLE_FACES',
      value: r2(rival),
      threshold: MULTIPLE_FACES_RATIO,
      message: `${ordered.length} faces in the picture; another face is ${Math.round(rival * 100)} % the size of the main one`,
    },
  };
}
