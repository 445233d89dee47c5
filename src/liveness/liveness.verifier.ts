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
  duplicateShift: 0.005,
  maxDuplicateFraction: 0.34,
  planarResidual: 0.12,
  motionResidual: 0.03,
  minIod: 16,
};

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

/**
 * Runs every liveness check for a challenge and the burst of frames answering it. A failed attack check
 * (window, two faces, two people, repeated frames, a flat picture) refuses; a missing action or too little
 * to measure asks for a retry; otherwise the burst passes. Single-use binding of the challenge is the
 * caller's job (it must be consumed before calling this).
 */
export class LivenessVerifier {
  constructor(private readonly limits: LivenessLimits = DEFAULT_LIVENESS_LIMITS) {}

  /** The planar check's residual threshold (fraction of the inter-ocular distance). */
  get planarThreshold(): number {
    return this.limits.planarResidual;
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

/** Reasons that only mean "not enough to measure" ask for a retry even from an attack check. */
function isAttackReason(reason: string): boolean {
  return !['no_face', 'no_motion', 'face_too_small', 'too_few_embeddings'].includes(reason);
}
