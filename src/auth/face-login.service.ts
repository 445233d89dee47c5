import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { FaceAnalysis } from '../engine/face-engine.port.js';
import { resolveEmployee } from '../services/employee.service.js';
import type { EmployeeRef } from '../services/enrollment.service.js';
import type { IdentificationService, MatchResult } from '../services/identification.service.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';
import type { KioskThrottleService } from './kiosk-throttle.service.js';
import { type LockoutService, lockoutSubject } from './lockout.service.js';
import type { SecondFactorStep } from './mfa/second-factor.service.js';
import type { SignedToken, TokenService } from './token.service.js';

/** A face login outcome: the match result, plus a signed token on `match`. */
export interface FaceLoginResult {
  result: MatchResult;
  employee?: EmployeeRef;
  token?: SignedToken;
  /** Set instead of `token` when the matched employee must still present a second factor. */
  secondFactor?: SecondFactorStep;
}

/** Asks for a second factor after a face match: a step, or null when the policy asks none. */
export interface FaceSecondFactorGate {
  stepFor(
    actor: Actor,
    employee: EmployeeRef,
    method: 'authenticate' | 'verify',
  ): Promise<SecondFactorStep | null>;
}

/** What face login is built from. */
export interface FaceLoginDeps extends ServiceRuntime {
  store: Store;
  identification: Pick<IdentificationService, 'identify' | 'verify'>;
  lockout: LockoutService;
  tokens: TokenService;
  kiosk: KioskThrottleService;
  /** The second-factor policy; without it a face match alone signs a token. */
  secondFactor?: FaceSecondFactorGate;
}

/**
 * Face login over the identification service and a signed token for a match. The door (API key, client address)
 * is throttled by the kiosk throttle; a claimed employee (1:1) by the lockout, with its hard cap.
 * Routes call `authenticate` (1:N) or `verify` (1:1).
 */
export class FaceLoginService extends GuardedService {
  private readonly store: Store;
  private readonly identification: Pick<IdentificationService, 'identify' | 'verify'>;
  private readonly lockout: LockoutService;
  private readonly tokens: TokenService;
  private readonly kiosk: KioskThrottleService;
  private readonly secondFactor: FaceSecondFactorGate | undefined;

  constructor(deps: FaceLoginDeps) {
    super(deps);
    this.store = deps.store;
    this.identification = deps.identification;
    this.lockout = deps.lockout;
    this.tokens = deps.tokens;
    this.kiosk = deps.kiosk;
    this.secondFactor = deps.secondFactor;
  }

  /** 1:N: who is this? Throws `LOCKED_OUT` while the door, or this very face, is in a delay. */
  async authenticate(actor: Actor, photo: Uint8Array, analysis?: FaceAnalysis): Promise<FaceLoginResult> {
    await this.policy.authorize(actor, 'faces:identify');
    const context = { action: 'authenticate', actor, ip: actor.ip ?? null };
    const result = await this.kiosk.attempt(callerSubjects(actor), context, (beforeMatch) =>
      this.identification.identify(photo, actor, {
        clientIp: actor.ip ?? undefined,
        auditAction: 'authenticate',
        beforeMatch,
        ...(analysis ? { analysis } : {}),
      }),
    );
    return this.settle(result, [], context, 'authenticate');
  }

  /** 1:1: is this the claimed employee (id or badge)? Also throttled per claimed employee. */
  async verify(
    actor: Actor,
    idOrBadge: string,
    photo: Uint8Array,
    analysis?: FaceAnalysis,
  ): Promise<FaceLoginResult> {
    await this.policy.authorize(actor, 'faces:verify');
    const subjects: string[] = [];
    const context = { action: 'verify', actor, ip: actor.ip ?? null };
    const claimed = await this.findEmployee(idOrBadge);
    if (claimed) subjects.push(lockoutSubject.employee(claimed.id));
    await this.lockout.assertNotLocked(subjects, context);
    if (claimed?.faceLoginLocked) {
      await this.store.audit.append({
        action: 'verify',
        outcome: 'refused',
        reason: 'LOCKED_OUT',
        actorType: actor.type,
        actorId: actor.id,
        employeeId: claimed.id,
        ip: actor.ip,
      });
      throw new FacegateError('LOCKED_OUT', 'Face login is locked for this employee; ask an administrator');
    }
    const result = await this.kiosk.attempt(callerSubjects(actor), context, () =>
      this.identification.verify(idOrBadge, photo, actor, {
        clientIp: actor.ip ?? undefined,
        auditAction: 'verify',
        ...(analysis ? { analysis } : {}),
      }),
    );
    return this.settle(result, subjects, context, 'verify');
  }

  /**
   * Throws `LOCKED_OUT` while the caller's door is in a delay, before a liveness answer is analysed: a door in a
   * delay spends no CPU on frames.
   */
  async assertDoorOpen(actor: Actor, method: 'authenticate' | 'verify'): Promise<void> {
    await this.kiosk.assertDoorOpen(callerSubjects(actor), { action: method, actor, ip: actor.ip ?? null });
  }

  /**
   * Counts a refused liveness challenge as a failed face login: against the door (kiosk throttle) and, for a 1:1
   * attempt, against the claimed employee (lockout). Throws `LOCKED_OUT` when the door is already in a delay.
   */
  async recordFailedChallenge(
    actor: Actor,
    method: 'authenticate' | 'verify',
    idOrBadge?: string,
  ): Promise<void> {
    const context = { action: method, actor, ip: actor.ip ?? null };
    await this.kiosk.attempt(callerSubjects(actor), context, async () => ({ decision: 'no_match' as const }));
    const claimed = idOrBadge ? await this.findEmployee(idOrBadge) : undefined;
    if (claimed) await this.lockout.recordFailure([lockoutSubject.employee(claimed.id)], context);
  }

  private async settle(
    result: MatchResult,
    subjects: string[],
    context: { action: string; actor: Actor; ip: string | null },
    method: 'authenticate' | 'verify',
  ): Promise<FaceLoginResult> {
    if (result.decision === 'match' && result.employee) {
      // The counters are reset only once every required factor passed (see the second-factor flow).
      const step = await this.secondFactor?.stepFor(context.actor, result.employee, method);
      if (step) return { result, employee: result.employee, secondFactor: step };
      const all = [...subjects, lockoutSubject.employee(result.employee.id)];
      await this.lockout.recordSuccess([...new Set(all)]);
      const token = await this.tokens.sign({
        employeeId: result.employee.id,
        badge: result.employee.badge,
        method,
      });
      return { result, employee: result.employee, token };
    }
    // A `retry` (no usable face) is not an authentication attempt; a `no_match` counts against the claimed employee.
    if (result.decision === 'no_match' && subjects.length > 0)
      await this.lockout.recordFailure(subjects, context);
    return { result };
  }

  private async findEmployee(idOrBadge: string) {
    try {
      return await resolveEmployee(this.store, idOrBadge);
    } catch (error) {
      if (isFacegateError(error)) return undefined;
      throw error;
    }
  }
}

/** The door of the caller: its API key (if any) and client address. */
function callerSubjects(actor: Actor): string[] {
  const subjects: string[] = [];
  if (actor.type === 'api_key') subjects.push(lockoutSubject.key(actor.id));
  if (actor.ip) subjects.push(lockoutSubject.ip(actor.ip));
  return subjects;
}
