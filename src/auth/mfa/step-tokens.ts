import { FacegateError } from '../../domain/errors.js';
import type { FactorKind, FactorSubject } from '../../domain/second-factors.js';
import { randomToken, safeEqual, sha256Hex } from '../secrets.js';
import type { OneTimeStore } from './one-time-store.js';

/** How long a step token is valid: about two minutes, time for the second factor. */
export const STEP_TOKEN_TTL_MS = 2 * 60_000;

/** The first factor that was already checked, as RFC 8176 names it. */
export type FirstFactor = 'face' | 'pwd';

/** What a step token stands for; kept server-side under the token's hash. */
export interface PendingStep {
  subject: FactorSubject;
  /** Who asked ({@link callerOf}, or e.g. `session:<id>`): only the same caller may complete the step. */
  caller: string;
  first: FirstFactor;
  /** Factor kinds that complete this step. */
  allowed: FactorKind[];
  /** WebAuthn challenge of this step when a passkey is allowed. */
  challenge: string | null;
  /** What the step completes (`authenticate`, `verify`, `console`), echoed to the caller. */
  purpose: string;
  expiresAt: string;
}

/** The caller binding of a kiosk or integration: its actor (an API key id, or a user id for a session). */
export function callerOf(actor: { type: string; id: string }): string {
  return `${actor.type}:${actor.id}`;
}

/** An issued step token. */
export interface IssuedStep {
  stepToken: string;
  expiresAt: string;
}

/**
 * Short-lived, single-use step tokens between the first and the second factor. The token is a random bearer
 * secret; only its sha256 is stored, and taking it is atomic, so a token works at most once, even when its caller
 * fails or another caller presents it.
 */
export class StepTokens {
  constructor(
    private readonly store: OneTimeStore<PendingStep>,
    private readonly now: () => Date = () => new Date(),
    private readonly ttlMs = STEP_TOKEN_TTL_MS,
  ) {}

  /** Issues a token for `step`. */
  async issue(step: Omit<PendingStep, 'expiresAt'>): Promise<IssuedStep> {
    const stepToken = randomToken(32);
    const expiresAtMs = this.now().getTime() + this.ttlMs;
    const expiresAt = new Date(expiresAtMs).toISOString();
    await this.store.put(sha256Hex(stepToken), { ...step, expiresAt }, expiresAtMs);
    return { stepToken, expiresAt };
  }

  /**
   * Takes the step of `stepToken` (it cannot be used again) and checks it belongs to `caller`. Throws
   * `STEP_TOKEN_INVALID` when it is unknown, expired, already used or another caller's.
   */
  async consume(stepToken: string, caller: string): Promise<PendingStep> {
    const step =
      typeof stepToken === 'string' && stepToken.length <= 256
        ? await this.store.take(sha256Hex(stepToken))
        : undefined;
    if (!step || Date.parse(step.expiresAt) <= this.now().getTime()) {
      throw new FacegateError(
        'STEP_TOKEN_INVALID',
        'The sign-in step expired or was already used; start again',
      );
    }
    if (!safeEqual(step.caller, caller)) {
      throw new FacegateError(
        'STEP_TOKEN_INVALID',
        'The sign-in step belongs to another caller; start again',
      );
    }
    return step;
  }

  /**
   * Looks at the step of `stepToken` without using it up: takes it, checks it as {@link consume} does, and puts
   * back `update(step)` until the same expiry.
   */
  async refresh(
    stepToken: string,
    caller: string,
    update: (step: PendingStep) => Promise<PendingStep>,
  ): Promise<PendingStep> {
    const step = await this.consume(stepToken, caller);
    const next = await update(step);
    await this.store.put(sha256Hex(stepToken), next, Date.parse(step.expiresAt));
    return next;
  }
}
