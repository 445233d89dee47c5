import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { at } from '../util/checked-access.js';

/** The actions a kiosk can prompt, in the subject's own frame (left = the person's left). */
export const LIVENESS_ACTIONS = ['turn_left', 'turn_right', 'look_up', 'blink', 'come_closer'] as const;

/** One prompted action. */
export type LivenessAction = (typeof LIVENESS_ACTIONS)[number];

/** Actions that rotate the head: they give the planar check the parallax it needs. */
export const HEAD_ROTATIONS: readonly LivenessAction[] = ['turn_left', 'turn_right', 'look_up'];

/** A single-use liveness challenge as issued to a kiosk. */
export interface LivenessChallenge {
  id: string;
  /** Random value the answer must carry back, so that an answer cannot be prepared in advance. */
  nonce: string;
  /** The prompts, to be performed in this order. */
  actions: readonly LivenessAction[];
  /** Issue time, epoch milliseconds. */
  issuedAt: number;
  /** After this instant (epoch milliseconds) the challenge is refused. */
  expiresAt: number;
}

/** Options of {@link createChallenge}. */
export interface ChallengeOptions {
  /** Number of actions, 2 or 3 (default: random between the two). */
  count?: 2 | 3;
  /** Lifetime in milliseconds (default 60 s). */
  ttlMs?: number;
  /** Current time, epoch milliseconds (default `Date.now()`). */
  now?: number;
  /** Actions the person cannot perform (a retry gets others, never a bypass). */
  exclude?: readonly LivenessAction[];
  /** Uniform integer in [0, max) (default: crypto's `randomInt`); injectable for tests. */
  random?: (max: number) => number;
}

/** Default lifetime of a challenge. */
export const CHALLENGE_TTL_MS = 60_000;

/**
 * Draws 2–3 distinct actions in random order. At least one of them rotates the head, because a sequence of
 * blinks and approaches alone gives the planar check no parallax to tell a face from a picture.
 */
export function drawActions(
  options: Pick<ChallengeOptions, 'count' | 'exclude' | 'random'> = {},
): LivenessAction[] {
  const random = options.random ?? ((max: number) => randomInt(max));
  const count = options.count ?? (random(2) === 0 ? 2 : 3);
  const pool = LIVENESS_ACTIONS.filter((a) => !options.exclude?.includes(a));
  const rotations = HEAD_ROTATIONS.filter((a) => pool.includes(a));
  if (rotations.length === 0 || pool.length < count) {
    throw new Error('Not enough liveness actions left to build a challenge');
  }
  const first = at(rotations, random(rotations.length));
  const rest = pool.filter((a) => a !== first);
  const picked: LivenessAction[] = [first];
  while (picked.length < count) picked.push(at(rest.splice(random(rest.length), 1), 0));
  // Fisher–Yates, so that the head rotation is not always first.
  for (let i = picked.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [picked[i], picked[j]] = [at(picked, j), at(picked, i)];
  }
  return picked;
}

/** Issues a new challenge: random id, 128-bit nonce, 2–3 actions, expiry about a minute later. */
export function createChallenge(options: ChallengeOptions = {}): LivenessChallenge {
  const now = options.now ?? Date.now();
  return {
    id: randomUUID(),
    nonce: randomBytes(16).toString('base64url'),
    actions: drawActions(options),
    issuedAt: now,
    expiresAt: now + (options.ttlMs ?? CHALLENGE_TTL_MS),
  };
}
