import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { AnalyzeOptions, DetectedFace, FaceAnalysis, FaceEngine } from '../engine/face-engine.port.js';
import {
  CHALLENGE_TTL_MS,
  createChallenge,
  LIVENESS_ACTIONS,
  type LivenessAction,
  type LivenessChallenge,
} from '../liveness/challenge.js';
import { type FrameObservation, isFacelessFrame, observeFace } from '../liveness/frame-observation.js';
import {
  identityFrames,
  keyFrames,
  type LivenessVerdict,
  LivenessVerifier,
  needsAllFrames,
} from '../liveness/liveness.verifier.js';
import type { CheckResult } from '../liveness/liveness-checks.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';
import { at, required } from '../util/checked-access.js';
import { assertMayLogin, livenessAuditEvent } from './liveness-audit.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** Frames a kiosk sends per answer (the HTTP contract: 4–12 JPEGs, at most 640 px wide). */
export const ANSWER_FRAMES = { min: 4, max: 12, maxWidth: 640 } as const;
/** How long a used challenge is remembered, so that a replay is told apart from an unknown id. */
const USED_MEMORY_MS = 10 * 60_000;
const challengeKey = (id: string) => `liveness:challenge:${id}`;
const usedKey = (id: string) => `liveness:used:${id}`;

/** A challenge as the caller receives it. */
export interface IssuedChallenge {
  id: string;
  nonce: string;
  actions: readonly LivenessAction[];
  expiresAt: string;
  frames: typeof ANSWER_FRAMES;
}

/** One frame of an answer: the image and its capture time (epoch milliseconds, kiosk clock). */
export interface AnswerFrame {
  bytes: Uint8Array;
  timestamp: number;
}

/** The answer to a challenge. */
export interface ChallengeAnswer {
  challengeId: string;
  nonce: string;
  frames: readonly AnswerFrame[];
}

/** What answering a challenge found. */
export interface LivenessOutcome {
  outcome: LivenessVerdict['outcome'];
  /** For `retry`: what to do differently. */
  hint?: string;
  /** For `refused`: the stable code (`LIVENESS_FAILED`, `CHALLENGE_USED`, `CHALLENGE_EXPIRED`...). */
  code?: string;
  /** Every check run (admins only). */
  checks: CheckResult[];
  /** For `pass`: the best frontal frame's image and full analysis (embedding included), to match with. */
  best?: { bytes: Uint8Array; analysis: FaceAnalysis };
}

/** Longest side, in pixels, at which answer frames are analysed: the checks are relative, and it costs less. */
export const ANALYSIS_MAX_SIDE = 480;

/** A frame that was detected: its observation, its main face, and its analysis once embedded. */
interface SeenFrame {
  observation: FrameObservation;
  face?: DetectedFace;
  analysis?: FaceAnalysis;
}
type Seen = Map<number, SeenFrame>;

/** What the liveness service is built from. */
export interface LivenessDeps extends ServiceRuntime {
  store: Store;
  engine: Pick<FaceEngine, 'detect' | 'analyze'>;
  /** Where challenges live between issue and answer (memory on one node, Redis on several). */
  state: SharedState;
  verifier?: LivenessVerifier;
  ttlMs?: number;
}

interface StoredChallenge {
  challenge: LivenessChallenge;
  owner: string;
}

/** The caller a challenge is bound to: its API key, or its user (session). */
const ownerOf = (actor: Actor): string => `${actor.type}:${actor.id}`;

/**
 * Active liveness: issues single-use challenges bound to the caller and checks the burst of frames that answers
 * one. Only its key frames are analysed and only two of them embedded ({@link identityFrames}); every check's
 * outcome is audited.
 */
export class LivenessService extends GuardedService {
  private readonly verifier: LivenessVerifier;

  constructor(private readonly deps: LivenessDeps) {
    super(deps);
    this.verifier = deps.verifier ?? new LivenessVerifier();
  }

  /** Issues a challenge of 2–3 random actions, none of `exclude` (a retry never gets fewer checks). */
  async issueChallenge(actor: Actor, input: { exclude?: readonly string[] } = {}): Promise<IssuedChallenge> {
    await this.assertMayLogin(actor);
    const exclude = (input.exclude ?? []).filter((a): a is LivenessAction =>
      (LIVENESS_ACTIONS as readonly string[]).includes(a),
    );
    let challenge: LivenessChallenge;
    try {
      challenge = createChallenge({ exclude, now: this.clock.now().getTime(), ttlMs: this.ttl() });
    } catch {
      throw new FacegateError('VALIDATION_FAILED', 'Too many actions excluded to build a challenge');
    }
    const stored: StoredChallenge = { challenge, owner: ownerOf(actor) };
    await this.deps.state.putItem(
      challengeKey(challenge.id),
      JSON.stringify(stored),
      this.ttl() + USED_MEMORY_MS,
    );
    return {
      id: challenge.id,
      nonce: challenge.nonce,
      actions: challenge.actions,
      expiresAt: new Date(challenge.expiresAt).toISOString(),
      frames: ANSWER_FRAMES,
    };
  }

  /**
   * Takes the challenge (once), analyses the frames and runs the checks. A challenge that is replayed, expired,
   * foreign or answered with a wrong nonce is refused with its code; the outcome is audited with every check.
   */
  async answer(actor: Actor, answer: ChallengeAnswer, auditAction = 'liveness'): Promise<LivenessOutcome> {
    await this.assertMayLogin(actor);
    validateFrames(answer.frames);
    const taken = await this.take(actor, answer);
    const outcome = 'code' in taken ? taken : await this.check(taken.challenge, answer.frames);
    await this.audit(actor, auditAction, outcome);
    return outcome;
  }

  private async take(
    actor: Actor,
    answer: ChallengeAnswer,
  ): Promise<StoredChallenge | (LivenessOutcome & { code: string })> {
    const refused = (code: string, check: string) => ({
      outcome: 'refused' as const,
      code,
      checks: [{ check: 'window' as const, passed: false, value: 0, threshold: 0, reason: check }],
    });
    const key = challengeKey(answer.challengeId);
    const peeked = await this.deps.state.peekItem(key);
    if (!peeked) {
      const used = await this.deps.state.peekItem(usedKey(answer.challengeId));
      return used ? refused('CHALLENGE_USED', 'replayed') : refused('CHALLENGE_INVALID', 'unknown');
    }
    const stored = JSON.parse(peeked) as StoredChallenge;
    if (stored.owner !== ownerOf(actor)) return refused('CHALLENGE_FOREIGN', 'foreign');
    const value = await this.deps.state.takeItem(key);
    if (!value) return refused('CHALLENGE_USED', 'replayed');
    await this.deps.state.putItem(usedKey(answer.challengeId), '1', USED_MEMORY_MS);
    if (stored.challenge.nonce !== answer.nonce) return refused('CHALLENGE_INVALID', 'wrong_nonce');
    if (this.clock.now().getTime() > stored.challenge.expiresAt) {
      return refused('CHALLENGE_EXPIRED', 'expired');
    }
    return stored;
  }

  /**
   * Refuses a burst whose capture times are wrong before analysing anything; then detects (with the mesh, at
   * most {@link ANALYSIS_MAX_SIDE} px) only the key frames, embeds two of them from that same detection and runs
   * the checks. Only when the key frames do not show every prompted action (or too few faces) are the other frames
   * detected too: the key frames may have fallen between the actions, and their parallax with them.
   */
  private async check(
    challenge: LivenessChallenge,
    frames: readonly AnswerFrame[],
  ): Promise<LivenessOutcome> {
    const now = this.clock.now().getTime();
    const window = this.verifier.window(
      challenge,
      frames.map((f) => f.timestamp),
      now,
    );
    if (!window.passed) return { outcome: 'refused', code: 'LIVENESS_FAILED', checks: [window] };
    const seen: Seen = new Map();
    await this.observeAll(frames, keyFrames(frames.length), seen);
    let judged = await this.judge(challenge, frames, seen, now);
    if (needsAllFrames(judged.verdict) && seen.size < frames.length) {
      await this.observeAll(frames, [...frames.keys()], seen);
      judged = await this.judge(challenge, frames, seen, now);
    }
    const { verdict, indices, analyses } = judged;
    const best = verdict.bestFrame === undefined ? undefined : indices[verdict.bestFrame];
    const bestAnalysis = best === undefined ? undefined : analyses.get(best);
    const outcome: LivenessOutcome = {
      outcome: verdict.outcome,
      checks: verdict.checks,
      ...(verdict.hint ? { hint: verdict.hint } : {}),
      ...(verdict.outcome === 'refused' ? { code: 'LIVENESS_FAILED' } : {}),
    };
    if (verdict.outcome === 'pass' && bestAnalysis && best !== undefined) {
      outcome.best = { bytes: at(frames, best).bytes, analysis: bestAnalysis };
    }
    return outcome;
  }

  /** Detects the frames at `indices` not seen yet (in parallel: the engine's workers share them). */
  private async observeAll(frames: readonly AnswerFrame[], indices: number[], seen: Seen): Promise<void> {
    const todo = indices.filter((i) => !seen.has(i));
    const observed = await Promise.all(todo.map((i) => this.observe(at(frames, i))));
    todo.forEach((i, k) => {
      seen.set(i, at(observed, k));
    });
  }

  /** Embeds the identity frames among those seen (from their detection) and runs the verifier on them. */
  private async judge(
    challenge: LivenessChallenge,
    frames: readonly AnswerFrame[],
    seen: Seen,
    now: number,
  ): Promise<{ verdict: LivenessVerdict; indices: number[]; analyses: Map<number, FaceAnalysis> }> {
    const sparse = frames.map((_, i) => seen.get(i)?.observation);
    const analyses = new Map<number, FaceAnalysis>();
    for (const i of identityFrames(sparse)) {
      const entry = seen.get(i);
      if (!entry?.face) continue;
      const analysis = entry.analysis ?? (await this.embed(at(frames, i).bytes, entry.face));
      if (!analysis) continue;
      entry.analysis = analysis;
      entry.observation = { ...entry.observation, embedding: analysis.embedding };
      analyses.set(i, analysis);
    }
    const indices = [...seen.keys()].sort((a, b) => a - b);
    const observed = indices.map((i) => required(seen.get(i), 'seen frame').observation);
    return { verdict: this.verifier.verify(challenge, observed, now), indices, analyses };
  }

  private async observe(frame: AnswerFrame): Promise<SeenFrame> {
    try {
      const detected = await this.deps.engine.detect(frame.bytes, {
        withMesh: true,
        maxSide: ANALYSIS_MAX_SIDE,
      });
      const face = detected.faces[0];
      return { observation: observeFace(frame.timestamp, detected.faces), ...(face ? { face } : {}) };
    } catch (error) {
      // Only the frame's own fault is an empty frame: an engine that cannot analyse is no "no face".
      if (!isFacelessFrame(error)) throw error;
      return { observation: { timestampMs: frame.timestamp, faceCount: 0 } };
    }
  }

  /** Aligns and embeds a face already detected in the frame (no second detection). */
  private async embed(bytes: Uint8Array, face: DetectedFace): Promise<FaceAnalysis | undefined> {
    return this.analyze(bytes, { withMesh: true, maxSide: ANALYSIS_MAX_SIDE, face });
  }

  private async analyze(bytes: Uint8Array, options: AnalyzeOptions): Promise<FaceAnalysis | undefined> {
    try {
      return await this.deps.engine.analyze(bytes, options);
    } catch (error) {
      if (isFacegateError(error, 'NO_FACE')) return undefined;
      throw error;
    }
  }

  private async audit(actor: Actor, action: string, outcome: LivenessOutcome): Promise<void> {
    await this.deps.store.audit.append(
      livenessAuditEvent(actor, action, outcome, this.clock.now().toISOString()),
    );
  }

  private ttl(): number {
    return this.deps.ttlMs ?? CHALLENGE_TTL_MS;
  }

  /** Anyone who may log in with a face (1:N or 1:1) may ask for a challenge. */
  private async assertMayLogin(actor: Actor): Promise<void> {
    await assertMayLogin(this.policy, actor);
  }
}

function validateFrames(frames: readonly AnswerFrame[]): void {
  if (frames.length < 1 || frames.length > ANSWER_FRAMES.max) {
    throw new FacegateError(
      'VALIDATION_FAILED',
      `Send ${ANSWER_FRAMES.min}–${ANSWER_FRAMES.max} frames (got ${frames.length})`,
    );
  }
  if (frames.some((f) => !Number.isFinite(f.timestamp))) {
    throw new FacegateError('VALIDATION_FAILED', 'timestamps must be one number per frame');
  }
}
