import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { User } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import { randomToken, safeEqual, sha256Hex } from './secrets.js';
import type { UserService } from './user.service.js';

/**
 * First-run setup: while no admin exists, a one-time token (printed once at start) lets `POST /v1/setup` create
 * the first admin. Only its hash is kept, in memory; a restart issues a new one.
 */
export class SetupService extends GuardedService {
  private tokenHash: string | null = null;
  private readonly users: UserService;

  constructor(deps: ServiceRuntime & { users: UserService }) {
    super(deps);
    this.users = deps.users;
  }

  /** Whether the service still needs its first admin. */
  async status(): Promise<{ needsSetup: boolean }> {
    return { needsSetup: await this.users.needsSetup() };
  }

  /** Issues a fresh setup token when no admin exists (returns it to print), else null. */
  async issueToken(): Promise<string | null> {
    if (!(await this.users.needsSetup())) {
      this.tokenHash = null;
      return null;
    }
    const token = `fgsetup_${randomToken(24)}`;
    this.tokenHash = sha256Hex(token);
    return token;
  }

  /** Consumes the setup token and creates the first admin. */
  async complete(
    actor: Actor,
    input: { setupToken: string; username: string; password: string },
  ): Promise<User> {
    if (!(await this.users.needsSetup())) {
      throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
    }
    if (!this.tokenHash || !safeEqual(this.tokenHash, sha256Hex(input.setupToken))) {
      // A concurrent setup may have just consumed the token: say so rather than blame the token.
      if (!(await this.users.needsSetup())) throw new FacegateError('SETUP_ALREADY_DONE', 'Setup is done');
      throw new FacegateError('UNAUTHENTICATED', 'Invalid setup token (see the server log of this start)');
    }
    const user = await this.users.createFirstAdmin(actor, input);
    this.tokenHash = null;
    return user;
  }
}
