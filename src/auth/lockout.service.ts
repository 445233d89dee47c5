import { type Actor, systemActor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { LockoutState } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';

/** The employee operations lockout needs (the employee service keeps the gallery in step). */
export interface EmployeeLocks {
  lockFaceLogin(idOrBadge: string, actor: Actor): Promise<unknown>;
  clearFaceLoginLock(idOrBadge: string, actor: Actor): Promise<unknown>;
}

/** Lockout limits, changeable at run time through settings. */
export interface LockoutLimits {
  /** Consecutive failures before a delay applies. */
  threshold: number;
  /** First delay in seconds; doubles with each further failure. */
  baseDelaySeconds: number;
  /** Consecutive failures of one employee after which face login is locked until an admin clears it. */
  hardCap: number;
}

/** Longest delay ever applied to one subject. */
const MAX_DELAY_SECONDS = 24 * 3600;

/** Lockout subjects; an employee subject is the claimed or matched employee. */
export const lockoutSubject = {
  key: (id: string) => `key:${id}`,
  ip: (ip: string) => `ip:${ip}`,
  employee: (id: string) => `employee:${id}`,
  login: (username: string) => `login:${username.toLowerCase()}`,
  /** Password attempts per address are counted apart from face attempts, so a busy kiosk never blocks admins. */
  loginIp: (ip: string) => `login-ip:${ip}`,
  /** Password attempts of one username from one address: guessing from elsewhere never blocks the owner. */
  loginPair: (username: string, ip: string | null) => `login:${username.toLowerCase()}|${ip ?? 'local'}`,
  /** Prefix of every `loginPair` subject of a username. */
  loginPairPrefix: (username: string) => `login:${username.toLowerCase()}|`,
} as const;

/** What lockout is built from. */
export interface LockoutDeps extends ServiceRuntime {
  store: Store;
  /** The employee service (lock/unlock keep the gallery in step). */
  employees: EmployeeLocks;
  /** The limits in force (run-time settings). */
  limits: () => Promise<LockoutLimits>;
}

/** The actor of the hard-cap lock. */
const LOCKOUT_ACTOR = systemActor('auth');

/** Context of an attempt, for the audit trail. */
export interface AttemptContext {
  action: string;
  actor: Actor | null;
  ip: string | null;
}

/**
 * Throttling in the spirit of NIST SP 800-63B-4 §3.2.2 for subjects whose owner is known: the claimed employee of
 * a 1:1 verify and a (username, address) pair of password attempts. After `threshold` consecutive failures every
 * attempt waits a delay that starts at `baseDelaySeconds` and doubles; an employee who reaches `hardCap` has face
 * login locked until an admin clears it. A success resets the consecutive counter of that subject.
 * Kiosk doors are throttled by the kiosk throttle instead, which strangers cannot turn against employees.
 */
export class LockoutService extends GuardedService {
  private readonly store: Store;
  private readonly employees: EmployeeLocks;
  private readonly limits: () => Promise<LockoutLimits>;

  constructor(deps: LockoutDeps) {
    super(deps);
    this.store = deps.store;
    this.employees = deps.employees;
    this.limits = deps.limits;
  }

  /** Throws `LOCKED_OUT` (with `retryAfterSeconds`) when any subject is inside its delay. */
  async assertNotLocked(subjects: readonly string[], context: AttemptContext): Promise<void> {
    const now = this.clock.now().getTime();
    let retryAfter = 0;
    for (const subject of subjects) {
      const state = await this.store.lockouts.get(subject);
      const until = state?.lockedUntil ? Date.parse(state.lockedUntil) : 0;
      if (until > now) retryAfter = Math.max(retryAfter, Math.ceil((until - now) / 1000));
    }
    if (retryAfter > 0) {
      await this.store.audit.append({
        action: context.action,
        outcome: 'refused',
        reason: 'LOCKED_OUT',
        actorType: context.actor?.type ?? 'system',
        actorId: context.actor?.id ?? null,
        ip: context.ip,
        details: { retryAfterSeconds: retryAfter },
      });
      throw new FacegateError('LOCKED_OUT', 'Too many failed attempts; try again later', {
        retryAfterSeconds: retryAfter,
      });
    }
  }

  /** Counts one failed attempt against each subject; applies delays and the employee hard cap. */
  async recordFailure(subjects: readonly string[], context: AttemptContext): Promise<void> {
    const limits = await this.limits();
    const now = this.clock.now();
    for (const subject of subjects) {
      // One transaction per subject: concurrent failures of one kiosk must each count.
      const { consecutive, delay } = await this.store.transaction(async (tx) => {
        const previous = await tx.lockouts.get(subject);
        const count = (previous?.consecutiveFailures ?? 0) + 1;
        const state: LockoutState = {
          subject,
          consecutiveFailures: count,
          totalFailures: (previous?.totalFailures ?? 0) + 1,
          lockedUntil: previous?.lockedUntil ?? null,
          updatedAt: now.toISOString(),
        };
        const seconds =
          count >= limits.threshold
            ? Math.min(
                MAX_DELAY_SECONDS,
                limits.baseDelaySeconds * 2 ** Math.min(30, count - limits.threshold),
              )
            : 0;
        if (seconds > 0) state.lockedUntil = new Date(now.getTime() + seconds * 1000).toISOString();
        await tx.lockouts.put(state);
        return { consecutive: count, delay: seconds };
      });
      if (delay > 0) {
        await this.audit('lockout.delay', subject, context, {
          consecutiveFailures: consecutive,
          delaySeconds: delay,
        });
      }
      const employeeId = subject.startsWith('employee:') ? subject.slice('employee:'.length) : null;
      if (employeeId && consecutive >= limits.hardCap) await this.lockEmployee(employeeId, subject, context);
    }
  }

  /** Resets the consecutive counters of the subjects (totals are kept). */
  async recordSuccess(subjects: readonly string[]): Promise<void> {
    for (const subject of subjects) {
      const state = await this.store.lockouts.get(subject);
      if (state && (state.consecutiveFailures > 0 || state.lockedUntil)) {
        await this.store.lockouts.put({
          ...state,
          consecutiveFailures: 0,
          lockedUntil: null,
          updatedAt: this.clock.now().toISOString(),
        });
      }
    }
  }

  /** Forgets every subject that starts with `prefix` (all addresses of one login name). */
  async clearPrefix(prefix: string): Promise<void> {
    for (const state of await this.store.lockouts.list()) {
      if (state.subject.startsWith(prefix)) await this.store.lockouts.clear(state.subject);
    }
  }

  /** Admin action: clears an employee's hard lock and failure counter. */
  async unlockEmployee(actor: Actor, employeeId: string): Promise<void> {
    await this.policy.authorize(actor, 'employees:unlock');
    const employee = await this.store.employees.get(employeeId);
    if (!employee) throw new FacegateError('NOT_FOUND', 'Employee not found');
    await this.store.lockouts.clear(lockoutSubject.employee(employeeId));
    await this.employees.clearFaceLoginLock(employeeId, actor);
  }

  private async lockEmployee(employeeId: string, subject: string, context: AttemptContext): Promise<void> {
    const employee = await this.store.employees.get(employeeId);
    if (!employee || employee.faceLoginLocked) return;
    await this.employees.lockFaceLogin(employeeId, LOCKOUT_ACTOR);
    await this.audit('lockout.hard', subject, context, { employeeId });
  }

  private async audit(
    action: string,
    subject: string,
    context: AttemptContext,
    details: Record<string, unknown>,
  ): Promise<void> {
    const employeeId = subject.startsWith('employee:') ? subject.slice('employee:'.length) : null;
    await this.store.audit.append({
      action,
      outcome: 'locked',
      reason: context.action,
      actorType: context.actor?.type ?? 'system',
      actorId: context.actor?.id ?? null,
      employeeId,
      ip: context.ip,
      details: { subject: subject.startsWith('login:') ? 'login' : subject, ...details },
    });
  }
}
