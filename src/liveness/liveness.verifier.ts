import { DEFAULT_ACTION_THRESHOLDS, neutralOf } from './action-sequence.js';
import type { LivenessChallenge } from './challenge.js';
import type { FrameObservation } from './frame-observation.js';
import {
  ATTACK_CHECKS,
  type CheckResult,
  checkActions,
  checkNotDuplicate,
  checkPlanar,
  checkSamePerson,
  checkSingleFace,
  checkWindow,
  type LivenessLimits,
} from './liveness-checks.js';

/** Default limits; the planar and identity figures were set on real clips (docs/liveness.md). */
export const DEFAULT_LIVENESS_LIMITS: LivenessLimits = {
  ...DEFAULT_ACTION_THRESHOLDS,
  minFrames: 4,
  maxFrames: 40,
  maxFacelessFraction: 0.34,
  samePerson: 0.4,
  identityPoseDeg: 25,
  samePersonTurned: 0.3,
  consistencyPoseDeg: 40,
  duplicateShift: 0.005,
  maxDuplicateFraction: 0.34,
  planarResidual: 0.12,
  motionResidual: 0.03,
  minIod: 16,
};

/**
 * Eye-closure ratio per face-mesh detector. MediaPipe's mesh (ONNX) closes the lids less far than Human's: on the
 * real blink clip of `../shared/media` (SadTalker, Katie Hill) its blink frames fall to 0.66–0.73 of the open-eye
 * level, Human's to 0.58–0.64, while frames without a blink stay at or above 0.80 under MediaPipe
 * (docs/liveness.md).
 */
export const BLINK_RATIO_BY_DETECTOR: Readonly<Record<string, number>> = {
  human: 0.7,
  'mediapipe-onnx': 0.76,
  'mediapipe-onnx-full': 0.76,
};

/** The default limits with the blink ratio of `detector` (the configured face-mesh detector). */
export function livenessLimitsFor(detector: string): LivenessLimits {
  return {
    ...DEFAULT_LIVENESS_LIMITS,
    blinkRatio: BLINK_RATIO_BY_DETECTOR[detector] ?? DEFAULT_LIVENESS_LIMITS.blinkRatio,
  };
}

/** What a kiosk is told: pass, retry with a hint, or refused. Admins also see `checks`. */
export interface LivenessVerdict {
  outcome: 'pass' | 'retry' | 'refused';
  /** For `retry`: what to do differently (e.g. `action_missing:turn_left`, `no_face`, `no_motion`). */
  hint?: string;
  /** Every check run, in order, for the audit. */
  checks: CheckResult[];
  /** Index (into the submitted frames) of the most frontal frame with a face: the one to identify. */
  bestFrame?: number;
}

/** Index of the frame with one face whose pose is closest to frontal (yaw, pitch, roll weighted equally). */
export function bestFrontalFrame(frames: readonly FrameObservation[]): number | undefined {
  let best: number | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  frames.forEach((f, i) => {
    if (f.faceCount !== 1 || !f.pose) return;
    const cost = Math.hypot(f.pose.yaw, f.pose.pitch, f.pose.roll);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  });
  return best;
}

/**
 * The frames worth embedding when CPU is short: the best frontal one plus the earliest and latest
 * near-frontal frames (within `poseDeg` yaw and pitch), so that a swap of person anywhere in the burst meets
 * the identity check. At most `max` indices, ascending.
 */
export function framesToEmbed(frames: readonly FrameObservation[], max = 3, poseDeg = 25): number[] {
  const best = bestFrontalFrame(frames);
  if (best === undefined) return [];
  const near = frames.flatMap((f, i) =>
    f.faceCount === 1 && f.pose && Math.abs(f.pose.yaw) <= poseDeg && Math.abs(f.pose.pitch) <= poseDeg
      ? [i]
      : [],
  );
  const picked = new Set([best, near[0] ?? best, near.at(-1) ?? best]);
  return [...picked].slice(0, Math.max(1, max)).sort((a, b) => a - b);
}

/** How many frames of a burst are analysed first (more only when those leave an action unseen). */
export const KEY_FRAMES = 4;

/**
 * The key frames of a burst of `n`: the first (the kiosk's frontal step), then `count - 1` spread evenly up to
 * the last, so that each prompted action's part of the burst is sampled. Ascending indices.
 */
export function keyFrames(n: number, count = KEY_FRAMES): number[] {
  if (n <= count) return [...Array(n).keys()];
  const picked = new Set([0]);
  for (let j = 1; j < count; j++) picked.add(Math.round((j * (n - 1)) / (count - 1)));
  return [...picked].sort((a, b) => a - b);
}

/**
 * The frames to embed: the best frontal one (to identify) and the ones to hold it to (same person): the first and
 * the last frame of the burst with a face turned at most `consistencyPoseDeg`, when they are not the best frame's
 * neighbours, so that a change of person anywhere between them and the best frame meets the identity check. A
 * kiosk's best frame is usually in its opening frontal step, so two embeddings are the rule and three the most.
 * `frames` may have gaps (frames not analysed). Indices, best first.
 */
export function identityFrames(
  frames: ReadonlyArray<FrameObservation | undefined>,
  limits: Pick<LivenessLimits, 'consistencyPoseDeg'> = DEFAULT_LIVENESS_LIMITS,
): number[] {
  const best = bestFrontalFrame(frames.map((f, i) => f ?? { timestampMs: i, faceCount: 0 }));
  if (best === undefined) return [];
  const candidates = frames.flatMap((f, i) =>
    i !== best &&
    f?.faceCount === 1 &&
    f.pose &&
    Math.max(Math.abs(f.pose.yaw), Math.abs(f.pose.pitch)) <= limits.consistencyPoseDeg
      ? [i]
      : [],
  );
  const ends = [candidates[0], candidates.at(-1)].filter(
    (i): i is number => i !== undefined && Math.abs(i - best) >= 2,
  );
  const farthest = candidates.reduce<number | undefined>(
    (a, i) => (a === undefined || Math.abs(i - best) > Math.abs(a - best) ? i : a),
    undefined,
  );
  const others = ends.length > 0 ? [...new Set(ends)] : farthest === undefined ? [] : [farthest];
  return [best, ...others];
}

/**
 * Runs every liveness check for a challenge and the burst of frames answering it. A failed attack check
 * (window, two faces, two people, repeated frames, a flat picture) refuses; a missing action or too little
 * to measure asks for a retry; otherwise the burst passes. Single-use binding of the challenge is the
 * caller's job (it must be consumed before calling this).
 */
export class LivenessVerifier {
  constructor(private readonly limits: LivenessLimits = DEFAULT_LIVENESS_LIMITS) {}

  /** The limits in force (action thresholds included): an evaluation reads actions with the same ones. */
  get thresholds(): Readonly<LivenessLimits> {
    return this.limits;
  }

  /** The planar check's residual threshold (fraction of the inter-ocular distance). */
  get planarThreshold(): number {
    return this.limits.planarResidual;
  }

  /** The `window` check alone, on the capture times: run before any frame is analysed. */
  window(challenge: LivenessChallenge, timestamps: readonly number[], nowMs: number): CheckResult {
    const stubs = timestamps.map((timestampMs) => ({ timestampMs, faceCount: 0 }));
    return checkWindow(challenge, stubs, nowMs, this.limits);
  }

  /** Checks `frames` (in submitted order) against `challenge` at time `nowMs`. */
  verify(challenge: LivenessChallenge, frames: readonly FrameObservation[], nowMs: number): LivenessVerdict {
    const limits = this.limits;
    const window = checkWindow(challenge, frames, nowMs, limits);
    if (!window.passed) return { outcome: 'refused', checks: [window] };
    const faces = frames.filter((f) => f.faceCount === 1 && f.mesh);
    const neutral = neutralOf(faces);
    const bestIndex = bestFrontalFrame(frames);
    const best = bestIndex === undefined ? undefined : frames[bestIndex];
    const checks = [
      window,
      checkSingleFace(frames, limits),
      checkActions(challenge, faces, neutral, limits),
      checkSamePerson(faces, best, neutral, limits),
      checkNotDuplicate(faces, limits),
      checkPlanar(faces, limits),
    ];
    const attack = checks.find(
      (c) => !c.passed && ATTACK_CHECKS.includes(c.check) && isAttackReason(c.reason),
    );
    const retry = checks.find((c) => !c.passed);
    return {
      outcome: attack ? 'refused' : retry ? 'retry' : 'pass',
      ...(!attack && retry ? { hint: retry.reason } : {}),
      checks,
      ...(bestIndex === undefined ? {} : { bestFrame: bestIndex }),
    };
  }
}

/**
 * Whether the key frames left an action unseen (or too few faces) without any other sign of an attack: then the
 * whole burst is analysed before deciding. Two faces, two people or repeated frames refuse at once.
 */
export function needsAllFrames(verdict: LivenessVerdict): boolean {
  const failed = verdict.checks.filter((c) => !c.passed);
  const unseen = failed.some((c) => c.check === 'actions' || c.reason === 'no_face');
  return (
    unseen &&
    failed.every(
      (c) =>
        ['actions', 'planar', 'single_face', 'same_person'].includes(c.check) &&
        !['two_faces', 'different_people'].includes(c.reason),
    )
  );
}

/** Reasons that only mean "not enough to measure" ask for a retry even from an attack check. */
function isAttackReason(reason: string): boolean {
  return !['no_face', 'no_motion', 'face_too_small', 'too_few_embeddings'].includes(reason);
}
