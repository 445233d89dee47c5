import { randomUUID } from 'node:crypto';
import { type Actor, permissionsOf, type Role } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { User } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';
import type { SecondFactorStep } from './mfa/second-factor.service.js';
import { checkPasswordPolicy, type PasswordHasher } from './password-hasher.js';
import type { PasswordThrottleService } from './password-throttle.service.js';
import type { OpenedSession, SessionService } from './session.service.js';

/** Asks for a second factor after a correct password: a step, or null when the policy asks none. */
export type ConsoleSecondFactorGate = (user: User, ip: string | null) => Promise<SecondFactorStep | null>;

const USERNAME = /^[A-Za-z0-9._@-]{3,64}$/;

/** Validates a username; throws `VALIDATION_FAILED`. */
export function checkUsername(username: string): void {
  if (!USERNAME.test(username)) {
    throw new FacegateError('VALIDATION_FAILED', 'Username must be 3 to 64 of A-Z a-z 0-9 . _ @ -');
  }
}

/** Admin and operator accounts: creation, password login/logout, password change, role management. */
export class UserService extends GuardedService {
  private readonly store: Store;
  private readonly sessions: SessionService;
  private readonly throttle: PasswordThrottleService;
  private readonly secondFactor: ConsoleSecondFactorGate | undefined;
  private readonly hasher: PasswordHasher;

  /**
   * `throttle` paces and locks out password guesses (per account, per address, per pair); `secondFactor` is
   * the second-factor policy of console sign-in (none without it); `hasher` hashes and checks passwords.
   */
  constructor(
    deps: ServiceRuntime & {
      store: Store;
      sessions: SessionService;
      throttle: PasswordThrottleService;
      secondFactor?: ConsoleSecondFactorGate;
      hasher: PasswordHasher;
    },
  ) {
    super(deps);
    this.store = deps.store;
    this.sessions = deps.sessions;
    this.throttle = deps.throttle;
    this.secondFactor = deps.secondFactor;
    this.hasher = deps.hasher;
  }

  /** True when no enabled admin exists yet (first run). */
  async needsSetup(): Promise<boolean> {
    const users = await this.store.users.list();
    return !users.some((u) => u.role === 'admin' && !u.disabled);
  }

  /** Creates a user with a role; admins only (the CLI acts as admin). */
  async create(actor: Actor, input: { username: string; password: string; role: Role }): Promise<User> {
    await this.policy.authorize(actor, 'users:manage');
    return this.insert(actor, input);
  }

  /** Creates the first admin; callers have checked the setup token or run the CLI. */
  async createFirstAdmin(actor: Actor, input: { username: string; password: string }): Promise<User> {
    if (!(await this.needsSetup())) {
      throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
    }
    checkUsername(input.username);
    checkPasswordPolicy(input.password);
    // The store checks "no admin yet" and inserts in one atomic step: of concurrent setups exactly one wins.
    const user = await this.store.users.createFirstAdmin({
      id: randomUUID(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      disabled: false,
      totpSecret: null,
    });
    await this.audit(actor, 'user.create', user.id, { username: user.username, role: user.role });
    return user;
  }

  /**
   * Checks a password and opens a session. Unknown user, wrong password and disabled account give the same
   * `UNAUTHENTICATED`; failures are throttled per (username, address), see {@link PasswordThrottleService}.
   * A user the second-factor policy asks more of is refused here: sign-in goes through {@link beginLogin}.
   */
  async login(input: { username: string; password: string; ip: string | null }): Promise<OpenedSession> {
    const begun = await this.beginLogin(input);
    if ('secondFactor' in begun) throw new FacegateError('UNAUTHENTICATED', 'A second factor is required');
    return begun.session;
  }

  /**
   * Console sign-in: checks the password (as {@link login}); then either opens a session or, when the
   * second-factor gate asks one, answers the step to complete (`SecondFactorLogin`), opening nothing yet.
   */
  async beginLogin(input: {
    username: string;
    password: string;
    ip: string | null;
  }): Promise<{ session: OpenedSession } | { secondFactor: SecondFactorStep; user: User }> {
    const user = await this.checkPassword(input);
    const step = await this.secondFactor?.(user, input.ip);
    if (step) return { secondFactor: step, user };
    return { session: await this.openSession(user, input.ip, ['pwd']) };
  }

  /** Opens a session for a user whose every required factor passed, and audits the sign-in with them. */
  async openSession(user: User, ip: string | null, amr: readonly string[]): Promise<OpenedSession> {
    const updated = await this.store.users.update(user.id, { lastLoginAt: this.clock.now().toISOString() });
    const session = await this.sessions.open(updated);
    await this.store.audit.append({
      action: 'login',
      outcome: 'success',
      actorType: 'user',
      actorId: user.id,
      ip,
      ...(amr.length > 1 ? { details: { amr } } : {}),
    });
    return session;
  }

  private async checkPassword(input: {
    username: string;
    password: string;
    ip: string | null;
  }): Promise<User> {
    const context = { action: 'login', actor: null, ip: input.ip };
    await this.throttle.before(input.username, context);
    const user = await this.store.users.getByUsername(input.username);
    const ok = await this.hasher.verify(user?.passwordHash, input.password);
    if (!user || !ok || user.disabled) {
      await this.throttle.failed(input.username, context);
      await this.store.audit.append({
        action: 'login',
        outcome: 'failure',
        reason: 'UNAUTHENTICATED',
        actorType: 'user',
        actorId: user?.id ?? null,
        ip: input.ip,
      });
      throw new FacegateError('UNAUTHENTICATED', 'Wrong username or password');
    }
    await this.throttle.succeeded(input.username, input.ip);
    return user;
  }

  /** Ends the caller's session. */
  async logout(actor: Actor, token: string): Promise<void> {
    await this.sessions.close(token);
    await this.store.audit.append({
      action: 'logout',
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
    });
  }

  /**
   * Changes the caller's own password after checking the current one; ends every other session.
   * The current-password check is throttled like a login, so a stolen session cannot guess it quickly.
   */
  async changePassword(actor: Actor, input: { currentPassword: string; newPassword: string }): Promise<void> {
    if (actor.type !== 'user' || !actor.id) throw new FacegateError('FORBIDDEN', 'Only users have passwords');
    const user = await this.store.users.get(actor.id);
    if (!user) throw new FacegateError('UNAUTHENTICATED', 'Current password is wrong');
    const context = { action: 'user.password', actor, ip: actor.ip ?? null };
    await this.throttle.before(user.username, context);
    if (!(await this.hasher.verify(user.passwordHash, input.currentPassword))) {
      await this.throttle.failed(user.username, context);
      throw new FacegateError('UNAUTHENTICATED', 'Current password is wrong');
    }
    await this.throttle.succeeded(user.username, actor.ip ?? null);
    checkPasswordPolicy(input.newPassword);
    await this.store.users.update(user.id, { passwordHash: await this.hasher.hash(input.newPassword) });
    await this.sessions.closeAllFor(user.id);
    await this.audit(actor, 'user.password', user.id);
  }

  /** Sets a user's password (CLI `admin reset-password`); ends their sessions. */
  async resetPassword(actor: Actor, username: string, password: string): Promise<User> {
    await this.policy.authorize(actor, 'users:manage');
    const user = await this.store.users.getByUsername(username);
    if (!user) throw new FacegateError('NOT_FOUND', 'User not found');
    checkPasswordPolicy(password);
    const updated = await this.store.users.update(user.id, {
      passwordHash: await this.hasher.hash(password),
    });
    await this.sessions.closeAllFor(user.id);
    await this.throttle.clear(username);
    await this.audit(actor, 'user.password.reset', user.id);
    return updated;
  }

  /** Every user, by username. */
  async list(actor: Actor): Promise<User[]> {
    await this.policy.authorize(actor, 'users:manage');
    return (await this.store.users.list()).sort((a, b) => a.username.localeCompare(b.username));
  }

  /** The caller's own account (for `/v1/auth/me`). */
  async me(actor: Actor): Promise<User> {
    const user = actor.type === 'user' && actor.id ? await this.store.users.get(actor.id) : undefined;
    if (!user) throw new FacegateError('UNAUTHENTICATED', 'Not signed in as a user');
    return user;
  }

  /** Changes a user's role or disabled flag; never leaves the service without an enabled admin. */
  async update(actor: Actor, id: string, patch: { role?: Role; disabled?: boolean }): Promise<User> {
    await this.policy.authorize(actor, 'users:manage');
    const user = await this.store.users.get(id);
    if (!user) throw new FacegateError('NOT_FOUND', 'User not found');
    const demotes = (patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true;
    if (user.role === 'admin' && demotes) await this.assertAnotherAdmin(user.id);
    const endsSessions = lowersRole(user.role, patch.role) || (patch.disabled === true && !user.disabled);
    const updated = await this.store.users.update(id, {
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
    });
    // A change that takes nothing away (same role, a raise, re-enabling) leaves the user signed in.
    if (endsSessions) await this.sessions.closeAllFor(id);
    await this.audit(actor, 'user.update', id, { role: patch.role, disabled: patch.disabled });
    return updated;
  }

  /** Deletes a user and their sessions; the last enabled admin cannot be deleted. */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.policy.authorize(actor, 'users:manage');
    const user = await this.store.users.get(id);
    if (!user) throw new FacegateError('NOT_FOUND', 'User not found');
    if (user.role === 'admin') await this.assertAnotherAdmin(id);
    await this.sessions.closeAllFor(id);
    await this.store.users.delete(id);
    await this.audit(actor, 'user.delete', id, { username: user.username });
  }

  private async insert(
    actor: Actor,
    input: { username: string; password: string; role: Role },
  ): Promise<User> {
    checkUsername(input.username);
    checkPasswordPolicy(input.password);
    if (await this.store.users.getByUsername(input.username)) {
      throw new FacegateError('CONFLICT', 'Username already taken');
    }
    const user = await this.store.users.create({
      id: randomUUID(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      role: input.role,
      disabled: false,
      totpSecret: null,
    });
    await this.audit(actor, 'user.create', user.id, { username: user.username, role: user.role });
    return user;
  }

  private async assertAnotherAdmin(exceptId: string): Promise<void> {
    const users = await this.store.users.list();
    if (!users.some((u) => u.id !== exceptId && u.role === 'admin' && !u.disabled)) {
      throw new FacegateError('CONFLICT', 'At least one enabled administrator must remain');
    }
  }

  private async audit(actor: Actor, action: string, userId: string, details: Record<string, unknown> = {}) {
    await this.store.audit.append({
      action,
      outcome: 'success',
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
      details: { userId, ...details },
    });
  }
}

/** True when `next` takes away any permission `current` grants (a sideways move counts: it loses some). */
function lowersRole(current: Role, next: Role | undefined): boolean {
  if (next === undefined || next === current) return false;
  const kept = new Set(permissionsOf(next));
  return permissionsOf(current).some((permission) => !kept.has(permission));
}
