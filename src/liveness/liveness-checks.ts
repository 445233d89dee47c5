import { at, required } from '../util/checked-access.js';
import { type ActionThresholds, matchSequence, type Neutral } from './action-sequence.js';
import type { LivenessChallenge } from './challenge.js';
import type { FrameObservation } from './frame-observation.js';
import { pairMotions } from './planar-motion.js';

/** Names of the checks, as recorded in the audit. */
export type LivenessCheckName =
  | 'window'
  | 'single_face'
  | 'actions'
  | 'same_person'
  | 'not_duplicate'
  | 'planar'
  | 'passive';

/** The outcome of one check, with what was measured and the limit it was held to. */
export interface CheckResult {
  check: LivenessCheckName;
  passed: boolean;
  value: number;
  threshold: number;
  /** Stable reason code when failed (e.g. `two_faces`, `action_missing:turn_left`), `ok` when passed. */
  reason: string;
}

/** Limits of the checks. Defaults in {@link DEFAULT_LIVENESS_LIMITS}, measured in docs/liveness.md. */
export interface LivenessLimits extends ActionThresholds {
  minFrames: number;
  maxFrames: number;
  /** Largest fraction of frames in which no face may be found (profile views, motion blur). */
  maxFacelessFraction: number;
  /** Cosine similarity every near-frontal frame must reach against the best frontal frame. */
  samePerson: number;
  /** Frames within this yaw/pitch of the neutral pose take part in the identity check, degrees. */
  identityPoseDeg: number;
  /** Cosine a turned frame (beyond `identityPoseDeg`, within `consistencyPoseDeg`) must reach instead. */
  samePersonTurned: number;
  /** Turned frames up to this yaw/pitch may stand in for the identity check's second frame, degrees. */
  consistencyPoseDeg: number;
  /** Mean landmark shift (fraction of the inter-ocular distance) under which two frames are duplicates. */
  duplicateShift: number;
  /** Largest fraction of consecutive frame pairs that may be duplicates. */
  maxDuplicateFraction: number;
  /** Homography residual (fraction of the inter-ocular distance) that some frame pair must exceed. */
  planarResidual: number;
  /** Similarity residual above which the face counts as moved or turned (planar check meaningful). */
  motionResidual: number;
  /** Faces smaller than this inter-ocular distance (pixels) are too noisy for the planar check. */
  minIod: number;
}

/** Checks whose failure means an attack: they refuse outright instead of asking for a retry. */
export const ATTACK_CHECKS: readonly LivenessCheckName[] = [
  'window',
  'single_face',
  'same_person',
  'not_duplicate',
  'planar',
];

function result(
  check: LivenessCheckName,
  passed: boolean,
  value: number,
  threshold: number,
  reason: string,
): CheckResult {
  return { check, passed, value: Math.round(value * 1e4) / 1e4, threshold, reason: passed ? 'ok' : reason };
}

/** Frames in capture order, inside the challenge's lifetime, in a sensible number. */
export function checkWindow(
  challenge: LivenessChallenge,
  frames: readonly FrameObservation[],
  nowMs: number,
  limits: LivenessLimits,
): CheckResult {
  const n = frames.length;
  if (nowMs > challenge.expiresAt) return result('window', false, nowMs, challenge.expiresAt, 'expired');
  if (n < limits.minFrames) return result('window', false, n, limits.minFrames, 'too_few_frames');
  if (n > limits.maxFrames) return result('window', false, n, limits.maxFrames, 'too_many_frames');
  for (let i = 1; i < n; i++) {
    if (at(frames, i).timestampMs <= at(frames, i - 1).timestampMs) {
      return result('window', false, i, 0, 'out_of_order');
    }
  }
  const first = at(frames, 0).timestampMs;
  const last = at(frames, n - 1).timestampMs;
  if (first < challenge.issuedAt || last > challenge.expiresAt) {
    return result('window', false, last - first, challenge.expiresAt - challenge.issuedAt, 'outside_window');
  }
  return result('window', true, last - first, challenge.expiresAt - challenge.issuedAt, 'ok');
}

/** Never two people in view; a face in (almost) every frame. */
export function checkSingleFace(frames: readonly FrameObservation[], limits: LivenessLimits): CheckResult {
  const crowded = frames.filter((f) => f.faceCount > 1).length;
  if (crowded > 0) return result('single_face', false, crowded, 0, 'two_faces');
  const faceless = frames.filter((f) => f.faceCount === 0 || !f.mesh).length / Math.max(1, frames.length);
  return result(
    'single_face',
    faceless <= limits.maxFacelessFraction,
    faceless,
    limits.maxFacelessFraction,
    'no_face',
  );
}

/** The prompted actions, in order, one after another. */
export function checkActions(
  challenge: LivenessChallenge,
  faces: readonly FrameObservation[],
  neutral: Neutral | undefined,
  limits: LivenessLimits,
): CheckResult {
  const n = challenge.actions.length;
  if (!neutral) return result('actions', false, 0, n, 'no_face');
  const match = matchSequence(challenge.actions, faces, neutral, limits);
  return result('actions', !match.missing, match.frames.length, n, `action_missing:${match.missing}`);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += at(a, i) * at(b, i);
  return s;
}

/**
 * Every other embedded frame shows the same person as the best frontal frame: near-frontal frames at `samePerson`,
 * turned ones (an embedding of a turned head is less similar to a frontal one) at `samePersonTurned`.
 */
export function checkSamePerson(
  faces: readonly FrameObservation[],
  best: FrameObservation | undefined,
  neutral: Neutral | undefined,
  limits: LivenessLimits,
): CheckResult {
  const ref = best?.embedding;
  const within = (f: FrameObservation, deg: number): boolean =>
    !!f.pose && Math.abs(f.pose.yaw) <= deg && Math.abs(f.pose.pitch) <= deg;
  const others = faces.filter(
    (f) => f !== best && f.embedding && neutral && within(f, limits.consistencyPoseDeg),
  );
  if (!ref || others.length === 0)
    return result('same_person', false, others.length + (ref ? 1 : 0), 2, 'too_few_embeddings');
  let worst = { margin: Number.POSITIVE_INFINITY, value: 1, threshold: limits.samePerson };
  for (const f of others) {
    const threshold = within(f, limits.identityPoseDeg) ? limits.samePerson : limits.samePersonTurned;
    const value = cosine(ref, required(f.embedding, 'f.embedding'));
    if (value - threshold < worst.margin) worst = { margin: value - threshold, value, threshold };
  }
  return result('same_person', worst.margin >= 0, worst.value, worst.threshold, 'different_people');
}

function meanShift(a: FrameObservation, b: FrameObservation): number {
  const pa = required(a.mesh, 'a.mesh');
  const pb = required(b.mesh, 'b.mesh');
  let d = 0;
  for (let i = 0; i < pa.length; i++)
    d += Math.hypot(at(pa, i)[0] - at(pb, i)[0], at(pa, i)[1] - at(pb, i)[1]);
  return d / pa.length / (((a.iod ?? 1) + (b.iod ?? 1)) / 2 || 1);
}

/** Consecutive frames differ: a repeated (or re-encoded) still does not move at all. */
export function checkNotDuplicate(faces: readonly FrameObservation[], limits: LivenessLimits): CheckResult {
  const pairs = Math.max(1, faces.length - 1);
  let dup = 0;
  for (let i = 1; i < faces.length; i++)
    if (meanShift(at(faces, i - 1), at(faces, i)) < limits.duplicateShift) dup++;
  const fraction = dup / pairs;
  return result(
    'not_duplicate',
    fraction <= limits.maxDuplicateFraction,
    fraction,
    limits.maxDuplicateFraction,
    'duplicates',
  );
}

/**
 * Some pair of frames shows parallax that no homography explains. A picture turned, tilted or moved in front
 * of the camera stays explained by one (`planar`); a face that never moved gives nothing to measure (`no_motion`).
 */
export function checkPlanar(faces: readonly FrameObservation[], limits: LivenessLimits): CheckResult {
  const views = faces
    .filter((f) => f.mesh && (f.iod ?? 0) >= limits.minIod)
    .map((f) => ({ points: required(f.mesh, 'f.mesh'), iod: required(f.iod, 'f.iod') }));
  if (views.length < 2) return result('planar', false, 0, limits.planarResidual, 'face_too_small');
  const motions = pairMotions(views);
  const residual = Math.max(0, ...motions.map((m) => m.homography));
  const moved = Math.max(0, ...motions.map((m) => m.similarity)) >= limits.motionResidual;
  return result(
    'planar',
    residual >= limits.planarResidual,
    residual,
    limits.planarResidual,
    moved ? 'planar' : 'no_motion',
  );
}
