import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';
import { assertMayLogin, livenessAuditEvent } from './liveness-audit.js';
import {
  carriesFrames,
  type LivenessAnswer,
  type LivenessCheck,
  type LivenessProvider,
  type LivenessResult,
  type SessionIssuedChallenge,
} from './liveness-provider.port.js';
import type { LivenessSessionResult, LivenessSessions } from './liveness-sessions.port.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** How long a used challenge is remembered, so that a replay is told apart from an unknown id. */
const USED_MEMORY_MS = 10 * 60_000;
const challengeKey = (id: string) => `liveness:session:${id}`;
const usedKey = (id: string) => `liveness:session-used:${id}`;

/** What the session liveness service is built from. */
export interface SessionLivenessDeps extends ServiceRuntime {
  store: Pick<Store, 'audit'>;
  /** Where challenges live between issue and answer (memory on one node, Redis on several). */
  state: SharedState;
  sessions: LivenessSessions;
  /** Least confidence (0–100) of a session that passes. */
  minConfidence: number;
}

interface StoredSession {
  sessionId: string;
  owner: string;
  expiresAt: number;
}

type Refusal = LivenessResult & { code: string };

/** The caller a challenge is bound to: its API key, or its user (session). */
const ownerOf = (actor: Actor): string => `${actor.type}:${actor.id}`;

const check = (name: string, passed: boolean, value: number, threshold: number, reason: string) => ({
  check: name,
  passed,
  value,
  threshold,
  reason: passed ? 'ok' : reason,
});

/**
 * Liveness by a remote session (Rekognition Face Liveness): a challenge is a session created for the caller plus
 * credentials that only stream to it; the answer names the challenge, which is taken once, by the caller it was
 * issued to, before it expires. Only then are the session's results read: it passes when the session succeeded
 * with at least the configured confidence, and its reference image is the face that is matched.
 */
export class SessionLivenessService extends GuardedService implements LivenessProvider {
  readonly kind = 'rekognition';

  constructor(private readonly deps: SessionLivenessDeps) {
    super(deps);
  }

  /** Creates a session bound to the caller (`exclude` belongs to the local challenge and is not used). */
  async issueChallenge(actor: Actor): Promise<SessionIssuedChallenge> {
    await assertMayLogin(this.policy, actor);
    const { sessions, state } = this.deps;
    const id = randomUUID();
    const { sessionId } = await sessions.create(id);
    const credentials = await sessions.streamingCredentials(id);
    const expiresAt = this.clock.now().getTime() + sessions.sessionTtlMs;
    const stored: StoredSession = { sessionId, owner: ownerOf(actor), expiresAt };
    await state.putItem(challengeKey(id), JSON.stringify(stored), sessions.sessionTtlMs + USED_MEMORY_MS);
    return {
      provider: 'rekognition',
      challengeId: id,
      sessionId,
      region: sessions.region,
      expiresAt: new Date(expiresAt).toISOString(),
      credentials,
    };
  }

  /**
   * Takes the challenge (once), then reads the session. Refused: replayed, unknown, foreign or expired challenges,
   * failed or expired sessions, and a confidence below the minimum; `retry`: a session not finished yet (the
   * challenge is used up all the same) or one without a reference image. Every outcome is audited.
   */
  async answer(actor: Actor, answer: LivenessAnswer, auditAction = 'liveness'): Promise<LivenessResult> {
    await assertMayLogin(this.policy, actor);
    if (carriesFrames(answer)) {
      throw new FacegateError(
        'VALIDATION_FAILED',
        'This server runs Rekognition Face Liveness: answer with the challenge id only (the video went to AWS)',
      );
    }
    const taken = await this.take(actor, answer.challengeId);
    const outcome = 'code' in taken ? taken : this.judge(await this.deps.sessions.results(taken.sessionId));
    await this.deps.store.audit.append(
      livenessAuditEvent(actor, auditAction, outcome, this.clock.now().toISOString(), {
        provider: this.kind,
        ...('code' in taken ? {} : { sessionId: taken.sessionId }),
      }),
    );
    return outcome;
  }

  private async take(actor: Actor, challengeId: string): Promise<StoredSession | Refusal> {
    const refused = (code: string, reason: string): Refusal => ({
      outcome: 'refused',
      code,
      checks: [check('window', false, 0, 0, reason)],
    });
    const { state } = this.deps;
    const peeked = await state.peekItem(challengeKey(challengeId));
    if (!peeked) {
      const used = await state.peekItem(usedKey(challengeId));
      return used ? refused('CHALLENGE_USED', 'replayed') : refused('CHALLENGE_INVALID', 'unknown');
    }
    const stored = JSON.parse(peeked) as StoredSession;
    // Checked before taking it: another caller's answer must not use up the owner's challenge.
    if (stored.owner !== ownerOf(actor)) return refused('CHALLENGE_FOREIGN', 'foreign');
    if (!(await state.takeItem(challengeKey(challengeId)))) return refused('CHALLENGE_USED', 'replayed');
    await state.putItem(usedKey(challengeId), '1', USED_MEMORY_MS);
    if (this.clock.now().getTime() > stored.expiresAt) return refused('CHALLENGE_EXPIRED', 'expired');
    return stored;
  }

  /** The session's verdict: only a succeeded session at the minimum confidence with a reference image passes. */
  private judge(result: LivenessSessionResult): LivenessResult {
    const { status, confidence, referenceImage } = result;
    const succeeded = status === 'SUCCEEDED';
    const finished = check('session', succeeded, succeeded ? 1 : 0, 1, `session_${status.toLowerCase()}`);
    if (status === 'CREATED' || status === 'IN_PROGRESS') {
      return { outcome: 'retry', hint: finished.reason, checks: [finished] };
    }
    if (status === 'EXPIRED') return { outcome: 'refused', code: 'CHALLENGE_EXPIRED', checks: [finished] };
    if (!succeeded) return { outcome: 'refused', code: 'LIVENESS_FAILED', checks: [finished] };
    const min = this.deps.minConfidence;
    const live: LivenessCheck = check(
      'confidence',
      (confidence ?? 0) >= min,
      confidence ?? 0,
      min,
      'low_confidence',
    );
    if (!live.passed) return { outcome: 'refused', code: 'LIVENESS_FAILED', checks: [finished, live] };
    // AWS advises a new check when a session gives no reference image: there is nothing to match.
    const reference = check(
      'reference_image',
      referenceImage !== null,
      referenceImage ? 1 : 0,
      1,
      'no_reference_image',
    );
    if (!referenceImage)
      return { outcome: 'retry', hint: reference.reason, checks: [finished, live, reference] };
    return { outcome: 'pass', checks: [finished, live, reference], best: { bytes: referenceImage } };
  }
}
