import type { AuthenticatedActor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { Session, User } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { Store } from '../store/store.port.js';
import { randomToken, safeEqual, sha256Hex } from './secrets.js';

/** A new session: `token` goes to the client (cookie or bearer) and is stored only as a hash. */
export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
}

/** A resolved session with its user. */
export interface ActiveSession {
  session: Session;
  user: User;
  actor: AuthenticatedActor;
}

/** Session tokens are prefixed so that they are never mistaken for API keys. */
export const SESSION_TOKEN_PREFIX = 'fgs_';

/** Login sessions: random tokens stored hashed, with expiry and a CSRF token for cookie use. */
export class SessionService extends GuardedService {
  private readonly store: Store;
  private readonly ttlSeconds: number;

  constructor(deps: ServiceRuntime & { store: Store; ttlSeconds: number }) {
    super(deps);
    this.store = deps.store;
    this.ttlSeconds = deps.ttlSeconds;
  }

  /** Opens a session for a user who has just proved their password. */
  async open(user: User): Promise<OpenedSession> {
    const token = `${SESSION_TOKEN_PREFIX}${randomToken(32)}`;
    const csrfToken = randomToken(24);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.ttlSeconds * 1000).toISOString();
    await this.store.sessions.create({
      id: sha256Hex(token),
      userId: user.id,
      csrfToken,
      createdAt: now.toISOString(),
      expiresAt,
    });
    return { token, csrfToken, expiresAt, user };
  }

  /** Resolves a token to its session and user; throws `UNAUTHENTICATED` when unknown, expired or disabled. */
  async resolve(token: string, ip: string | null): Promise<ActiveSession> {
    const invalid = new FacegateError('UNAUTHENTICATED', 'Session is missing, expired or invalid');
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 200) throw invalid;
    const id = sha256Hex(token);
    const session = await this.store.sessions.get(id);
    if (!session) throw invalid;
    if (Date.parse(session.expiresAt) <= this.clock.now().getTime()) {
      await this.store.sessions.delete(id);
      throw invalid;
    }
    const user = await this.store.users.get(session.userId);
    if (!user || user.disabled) throw invalid;
    return {
      session,
      user,
      actor: { type: 'user', id: user.id, role: user.role, name: user.username, ip },
    };
  }

  /** Throws `CSRF_FAILED` unless `presented` equals the session's CSRF token. */
  checkCsrf(session: Session, presented: string | undefined): void {
    if (!presented || !safeEqual(session.csrfToken, presented)) {
      throw new FacegateError('CSRF_FAILED', 'Missing or invalid CSRF token (send it in X-CSRF-Token)');
    }
  }

  /** Ends one session. */
  async close(token: string): Promise<void> {
    await this.store.sessions.delete(sha256Hex(token));
  }

  /** Ends every session of a user (password change, role change, disable, delete). */
  async closeAllFor(userId: string): Promise<void> {
    await this.store.sessions.deleteForUser(userId);
  }

  /** Removes expired sessions; returns how many. */
  async sweep(): Promise<number> {
    return this.store.sessions.deleteExpired(this.clock.now().toISOString());
  }
}
