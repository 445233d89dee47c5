import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { User } from '../domain/models.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import { randomToken, safeEqual, sha256Hex } from './secrets.js';
import type { UserService } from './user.service.js';

/** How long a node's setup token is honoured by the other nodes of the shared state. */
const SHARED_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

const sharedTokenKey = (hash: string) => `setup-token:${hash}`;

/**
 * First-run setup: while no admin exists, a one-time token (printed once at start) lets `POST /v1/setup` create
 * the first admin. Only its hash is kept: in memory, and for a day in the shared state, so that a token printed by
 * one node (or Lambda instance) is taken by any node; a restart issues a new one.
 */
export class SetupService extends GuardedService {
  private tokenHash: string | null = null;
  private readonly users: UserService;
  private readonly state: Pick<SharedState, 'putItem' | 'peekItem' | 'deleteItem'> | undefined;

  constructor(
    deps: ServiceRuntime & {
      users: UserService;
      state?: Pick<SharedState, 'putItem' | 'peekItem' | 'deleteItem'>;
    },
  ) {
    super(deps);
    this.users = deps.users;
    this.state = deps.state;
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
    await this.state?.putItem(sharedTokenKey(this.tokenHash), '1', SHARED_TOKEN_TTL_MS);
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
    const presented = sha256Hex(input.setupToken);
    if (!(await this.knows(presented))) {
      // A concurrent setup may have just consumed the token: say so rather than blame the token.
      if (!(await this.users.needsSetup())) throw new FacegateError('SETUP_ALREADY_DONE', 'Setup is done');
      throw new FacegateError('UNAUTHENTICATED', 'Invalid setup token (see the server log of this start)');
    }
    const user = await this.users.createFirstAdmin(actor, input);
    this.tokenHash = null;
    await this.state?.deleteItem(sharedTokenKey(presented));
    return user;
  }

  /** Whether a token with this hash was issued by this node or, within a day, by another node of the shared state. */
  private async knows(hash: string): Promise<boolean> {
    if (this.tokenHash !== null && safeEqual(this.tokenHash, hash)) return true;
    return (await this.state?.peekItem(sharedTokenKey(hash))) !== undefined;
  }
}
