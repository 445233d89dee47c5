/**
 * The capture schedule of a liveness challenge, as pure functions: when each prompt shows, when each frame is
 * taken, and how a prompt reads and points. The kiosk controller only follows the plan with a clock.
 */
import type { LivenessAction } from '../shared/liveness-types.js';

/** Tunables of the schedule. */
export interface ScheduleTimings {
  /** The frontal step ("look at the camera") before the first prompt: time to its first frame. */
  frontalLeadMs: number;
  /** Time between a prompt appearing and its first frame: reading it and moving. */
  reactionMs: number;
  /** Time between two frames of a step. */
  intervalMs: number;
  /** Blinks are short: their frames are taken closer together. */
  blinkIntervalMs: number;
  /** Frames wanted per action (blink gets one more where the budget allows). */
  framesPerAction: number;
}

/** Default schedule: ~2.5 frames a second, about 2 s per action. */
export const DEFAULT_SCHEDULE: ScheduleTimings = {
  frontalLeadMs: 500,
  reactionMs: 900,
  intervalMs: 400,
  blinkIntervalMs: 150,
  framesPerAction: 3,
};

/** One step of the plan: step 0 is the frontal frame(s), then one step per action. */
export interface PlanStep {
  action: LivenessAction | null;
  startMs: number;
  endMs: number;
}

/** When to take a frame, from the start of the challenge, and during which step. */
export interface PlannedShot {
  atMs: number;
  step: number;
}

/** The whole plan of a challenge. */
export interface CapturePlan {
  steps: PlanStep[];
  shots: PlannedShot[];
  totalMs: number;
}

/** Frames per step: at least 1 frontal and 2 per action, within `[min, max]` frames in all. */
export function framesPerStep(
  actions: readonly LivenessAction[],
  limits: { min: number; max: number },
  perAction = DEFAULT_SCHEDULE.framesPerAction,
): number[] {
  const counts = [1, ...actions.map(() => 2)];
  let budget = limits.max - counts.reduce((a, b) => a + b, 0);
  const target = (i: number): number => (actions[i - 1] === 'blink' ? perAction + 1 : perAction);
  // Blink first (hardest to catch: it gets its extra frames before the others), then the actions in order.
  const order = [...actions.keys()].map((k) => k + 1).sort((a, b) => rank(actions, a) - rank(actions, b));
  for (const i of order) {
    const extra = Math.min(budget, Math.max(0, target(i) - (counts[i] ?? 0)));
    counts[i] = (counts[i] ?? 0) + extra;
    budget -= extra;
  }
  if (budget > 0) counts[0] = 2;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total < limits.min) counts[0] = (counts[0] ?? 1) + (limits.min - total);
  return counts;
}

function rank(actions: readonly LivenessAction[], step: number): number {
  return actions[step - 1] === 'blink' ? -1 : step;
}

/** The plan of a challenge: prompt times and frame times, in milliseconds from its start. */
export function captureSchedule(
  actions: readonly LivenessAction[],
  limits: { min: number; max: number },
  timings: ScheduleTimings = DEFAULT_SCHEDULE,
): CapturePlan {
  const counts = framesPerStep(actions, limits, timings.framesPerAction);
  const steps: PlanStep[] = [];
  const shots: PlannedShot[] = [];
  let t = 0;
  counts.forEach((count, step) => {
    const action = step === 0 ? null : (actions[step - 1] ?? null);
    const lead = step === 0 ? timings.frontalLeadMs : timings.reactionMs;
    const interval = action === 'blink' ? timings.blinkIntervalMs : timings.intervalMs;
    for (let i = 0; i < count; i++) shots.push({ atMs: t + lead + i * interval, step });
    const endMs = t + lead + count * interval;
    steps.push({ action, startMs: t, endMs });
    t = endMs;
  });
  return { steps, shots, totalMs: t };
}

/** The step showing at `elapsedMs` (the last one once the plan is over). */
export function stepAt(plan: CapturePlan, elapsedMs: number): number {
  const i = plan.steps.findIndex((s) => elapsedMs < s.endMs);
  return i === -1 ? plan.steps.length - 1 : i;
}

/** What a prompt shows: an arrow on the screen, an eye, or "come closer". */
export type PromptGlyph = 'arrow-left' | 'arrow-right' | 'arrow-up' | 'eye' | 'closer' | 'face';

/** The prompt of an action: short text, readable from a metre away. */
export const PROMPT_TEXT: Readonly<Record<LivenessAction, string>> = {
  turn_left: 'Turn your head to your left',
  turn_right: 'Turn your head to your right',
  look_up: 'Look up',
  blink: 'Blink slowly',
  come_closer: 'Come closer',
};

/** The text of a step (`null` = the frontal step). */
export function promptText(action: LivenessAction | null): string {
  return action ? PROMPT_TEXT[action] : 'Look straight at the camera';
}

/**
 * The glyph of a step. Left and right are the person's own: on a mirrored preview the person's left is the
 * screen's left; on an unmirrored one it is the screen's right.
 */
export function promptGlyph(action: LivenessAction | null, mirrored: boolean): PromptGlyph {
  switch (action) {
    case 'turn_left':
      return mirrored ? 'arrow-left' : 'arrow-right';
    case 'turn_right':
      return mirrored ? 'arrow-right' : 'arrow-left';
    case 'look_up':
      return 'arrow-up';
    case 'blink':
      return 'eye';
    case 'come_closer':
      return 'closer';
    default:
      return 'face';
  }
}

/** Whole seconds left before `deadline` (epoch ms), never negative. */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** Bounds of the local deadline of a challenge, whatever the two clocks say. */
const MIN_TTL_MS = 10_000;
const MAX_TTL_MS = 120_000;

/**
 * The local deadline of a challenge. The kiosk's clock may differ from the server's: the time left is read from
 * `expiresAt` and clamped, so a skewed clock neither expires a challenge at once nor keeps it forever (the server
 * refuses a late answer anyway).
 */
export function challengeDeadline(expiresAt: string, now: number): number {
  const ttl = Date.parse(expiresAt) - now;
  const safe = Number.isFinite(ttl) ? ttl : 60_000;
  return now + Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, safe));
}
