import type { Actor } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { User } from '../../domain/models.js';
import type { EmployeeRef } from '../../services/enrollment.service.js';
import type { Store } from '../../store/store.port.js';
import type { FaceSecondFactorGate } from '../face-login.service.js';
import { type LockoutService, lockoutSubject } from '../lockout.service.js';
import type { OpenedSession } from '../session.service.js';
import type { SignedToken, TokenService } from '../token.service.js';
import type { UserService } from '../user.service.js';
import type {
  SecondFactorFailure,
  SecondFactorService,
  SecondFactorStep,
  StepResponse,
} from './second-factor.service.js';
import { callerOf } from './step-tokens.js';

/** The caller binding of a console sign-in step: nobody is signed in yet, so the client address. */
export function consoleCaller(ip: string | null): string {
  return `console:${ip ?? 'local'}`;
}

/** A face login completed with its second factor. */
export interface CompletedFaceLogin {
  employee: EmployeeRef;
  token: SignedToken;
  amr: string[];
  /** The face login the step completed. */
  method: 'authenticate' | 'verify';
}

/** What the face-login second step is built from. */
export interface FaceSecondFactorDeps {
  mfa: SecondFactorService;
  store: Store;
  lockout: LockoutService;
  tokens: TokenService;
}

/**
 * The second step of face login: after a match, a step token when the policy asks a factor of the employee; then
 * the factor, a re-check of the employee (still active, not locked) and the face-login token with both factors.
 */
export class FaceSecondFactorLogin implements FaceSecondFactorGate {
  constructor(private readonly deps: FaceSecondFactorDeps) {}

  /** A step for `employee` after a face match, or null when the policy asks no second factor. */
  async stepFor(
    actor: Actor,
    employee: EmployeeRef,
    method: 'authenticate' | 'verify',
  ): Promise<SecondFactorStep | null> {
    return this.deps.mfa.issueStepToken(actor, {
      subject: { type: 'employee', id: employee.id },
      caller: callerOf(actor),
      first: 'face',
      purpose: method,
    });
  }

  /**
   * Completes a face login with its second factor. Only the caller the step was issued to may complete it; the
   * employee's lockout and status are checked before the factor is.
   */
  async complete(actor: Actor, stepToken: string, response: StepResponse): Promise<CompletedFaceLogin> {
    const { mfa, store, lockout, tokens } = this.deps;
    let employee: EmployeeRef | undefined;
    const done = await mfa.completeStep(actor, stepToken, callerOf(actor), response, async (step) => {
      if (
        (step.purpose !== 'authenticate' && step.purpose !== 'verify') ||
        step.subject.type !== 'employee'
      ) {
        throw new FacegateError('STEP_TOKEN_INVALID', 'This step does not complete a face login');
      }
      const subject = lockoutSubject.employee(step.subject.id);
      await lockout.assertNotLocked([subject], { action: 'mfa.step', actor, ip: actor.ip ?? null });
      employee = await activeEmployee(store, step.subject.id);
    });
    if (!employee) throw new FacegateError('STEP_TOKEN_INVALID', 'This step does not complete a face login');
    await lockout.recordSuccess([lockoutSubject.employee(employee.id)]);
    const method = done.purpose === 'verify' ? 'verify' : 'authenticate';
    const token = await tokens.sign({
      employeeId: employee.id,
      badge: employee.badge,
      method,
      amr: done.amr,
    });
    return { employee, token, amr: done.amr, method };
  }
}

/** What the console second step is built from. */
export interface ConsoleSecondFactorDeps {
  mfa: SecondFactorService;
  store: Store;
  lockout: LockoutService;
  users: Pick<UserService, 'openSession'>;
}

/** The second step of console sign-in (password, then TOTP or a passkey by default for admins). */
export class ConsoleSecondFactorLogin {
  constructor(private readonly deps: ConsoleSecondFactorDeps) {}

  /** A step for `user` after a correct password, or null when the policy asks none. */
  async stepFor(user: User, ip: string | null): Promise<SecondFactorStep | null> {
    return this.deps.mfa.issueStepToken(anonymous(ip), {
      subject: { type: 'user', id: user.id },
      caller: consoleCaller(ip),
      first: 'pwd',
      purpose: 'console',
    });
  }

  /** Completes the sign-in: the factor, a re-check of the account, then a session with both factors. */
  async complete(stepToken: string, response: StepResponse, ip: string | null): Promise<OpenedSession> {
    const { mfa, store, lockout } = this.deps;
    const actor = anonymous(ip);
    let user: User | undefined;
    const done = await mfa.completeStep(actor, stepToken, consoleCaller(ip), response, async (step) => {
      if (step.purpose !== 'console' || step.subject.type !== 'user') {
        throw new FacegateError('STEP_TOKEN_INVALID', 'This step does not complete a console sign-in');
      }
      const found = await store.users.get(step.subject.id);
      if (!found || found.disabled)
        throw new FacegateError('UNAUTHENTICATED', 'The account is not available');
      await lockout.assertNotLocked([lockoutSubject.loginPair(found.username, ip)], {
        action: 'login',
        actor: null,
        ip,
      });
      user = found;
    });
    if (!user) throw new FacegateError('STEP_TOKEN_INVALID', 'This step does not complete a console sign-in');
    await lockout.recordSuccess([lockoutSubject.loginPair(user.username, ip)]);
    return this.deps.users.openSession(user, ip, done.amr);
  }
}

/**
 * The lockout hook of failed second factors: an employee's failures count against the employee (delays, then
 * the hard cap locks face login); a user's against the (username, address) pair of password attempts.
 */
export function secondFactorFailureCounter(
  store: Store,
  lockout: LockoutService,
): (failure: SecondFactorFailure) => Promise<void> {
  return async ({ subject, actor }) => {
    const context = { action: 'mfa.step', actor, ip: actor.ip ?? null };
    if (subject.type === 'employee') {
      await lockout.recordFailure([lockoutSubject.employee(subject.id)], context);
      return;
    }
    const user = await store.users.get(subject.id);
    if (user)
      await lockout.recordFailure([lockoutSubject.loginPair(user.username, actor.ip ?? null)], context);
  };
}

async function activeEmployee(store: Store, id: string): Promise<EmployeeRef> {
  const employee = await store.employees.get(id);
  if (employee?.status !== 'active') {
    throw new FacegateError('UNAUTHENTICATED', 'The employee is not active');
  }
  if (employee.faceLoginLocked) {
    throw new FacegateError('LOCKED_OUT', 'Face login is locked for this employee; ask an administrator');
  }
  return {
    id: employee.id,
    badge: employee.badge,
    firstName: employee.firstName,
    lastName: employee.lastName,
  };
}

/** The not-yet-signed-in caller of a console sign-in step. */
function anonymous(ip: string | null): Actor {
  return { type: 'user', id: 'anonymous', name: 'console sign-in', ip };
}
