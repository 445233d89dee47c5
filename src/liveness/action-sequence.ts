import { at, required } from '../util/checked-access.js';
import type { LivenessAction } from './challenge.js';
import type { FrameObservation } from './frame-observation.js';

/** How far a frame must move from the neutral start for an action to count. */
export interface ActionThresholds {
  /** Yaw change for turn_left / turn_right, degrees. */
  turnDeg: number;
  /** Upward pitch change for look_up, degrees. */
  lookUpDeg: number;
  /** Eye aspect ratio, as a fraction of the open-eye level, below which the eyes count as closed. */
  blinkRatio: number;
  /** Growth of the inter-ocular distance for come_closer (1.2 = 20 % larger). */
  closerRatio: number;
}

/** Defaults, set on the real clips (docs/liveness.md). */
export const DEFAULT_ACTION_THRESHOLDS: ActionThresholds = {
  turnDeg: 18,
  lookUpDeg: 10,
  blinkRatio: 0.7,
  closerRatio: 1.2,
};

/** The neutral reference the actions are measured from: the first frames of the burst. */
export interface Neutral {
  yaw: number;
  pitch: number;
  iod: number;
  /** Open-eye level: the median eye aspect ratio over the burst. */
  ear: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? at(s, m) : (at(s, m - 1) + at(s, m)) / 2;
}

/** The neutral reference of a burst: pose and size of its first measured frame, median eye opening. */
export function neutralOf(frames: readonly FrameObservation[]): Neutral | undefined {
  const measured = frames.filter((f) => f.pose && f.iod && f.ear !== undefined);
  const first = measured[0];
  if (!first) return undefined;
  return {
    yaw: required(first.pose, 'first.pose').yaw,
    pitch: required(first.pose, 'first.pose').pitch,
    iod: required(first.iod, 'first.iod'),
    ear: median(measured.map((f) => required(f.ear, 'f.ear'))),
  };
}

/** Whether one frame shows `action` relative to the neutral reference (blink: eyes closed). */
export function frameShows(
  action: LivenessAction,
  frame: FrameObservation,
  neutral: Neutral,
  t: ActionThresholds,
): boolean {
  if (!frame.pose || frame.iod === undefined || frame.ear === undefined) return false;
  switch (action) {
    // Human's yaw is positive when the subject turns to their own right.
    case 'turn_left':
      return frame.pose.yaw <= neutral.yaw - t.turnDeg;
    case 'turn_right':
      return frame.pose.yaw >= neutral.yaw + t.turnDeg;
    case 'look_up':
      return frame.pose.pitch <= neutral.pitch - t.lookUpDeg;
    case 'blink':
      return frame.ear <= neutral.ear * t.blinkRatio;
    case 'come_closer':
      return frame.iod >= neutral.iod * t.closerRatio;
  }
}

/** Where each action was seen; `missing` is the first action not found after the previous one. */
export interface SequenceMatch {
  /** Frame index at which each found action was seen, in challenge order. */
  frames: number[];
  missing?: LivenessAction;
}

/**
 * Follows the actions in order: each must be seen in a frame strictly after the frame of the previous one.
 * A blink must also be followed by a frame with the eyes open again.
 */
export function matchSequence(
  actions: readonly LivenessAction[],
  frames: readonly FrameObservation[],
  neutral: Neutral,
  t: ActionThresholds = DEFAULT_ACTION_THRESHOLDS,
): SequenceMatch {
  const found: number[] = [];
  let from = 0;
  for (const action of actions) {
    let seenAt = -1;
    for (let i = from; i < frames.length; i++) {
      if (!frameShows(action, at(frames, i), neutral, t)) continue;
      if (action === 'blink' && !reopened(frames, i, neutral, t)) continue;
      seenAt = i;
      break;
    }
    if (seenAt < 0) return { frames: found, missing: action };
    found.push(seenAt);
    from = seenAt + 1;
  }
  return { frames: found };
}

function reopened(
  frames: readonly FrameObservation[],
  closed: number,
  neutral: Neutral,
  t: ActionThresholds,
): boolean {
  return frames
    .slice(closed + 1)
    .some((f) => f.ear !== undefined && f.ear > neutral.ear * Math.min(0.95, t.blinkRatio + 0.15));
}

/**
 * The actions a burst happens to perform, in the order first seen (each at most once, each in a later frame
 * than the previous one), up to `max`. Used by the evaluation to replay recorded clips under a challenge
 * that they satisfy.
 */
export function observedActions(
  frames: readonly FrameObservation[],
  actions: readonly LivenessAction[],
  max = 3,
  t: ActionThresholds = DEFAULT_ACTION_THRESHOLDS,
): LivenessAction[] {
  const neutral = neutralOf(frames);
  if (!neutral) return [];
  const out: LivenessAction[] = [];
  let from = 0;
  while (out.length < max) {
    let best: { action: LivenessAction; at: number } | undefined;
    for (const action of actions) {
      if (out.includes(action)) continue;
      const at = matchSequence([action], frames.slice(from), neutral, t).frames[0];
      if (at !== undefined && (!best || at < best.at)) best = { action, at };
    }
    if (!best) break;
    out.push(best.action);
    from += best.at + 1;
  }
  return out;
}
