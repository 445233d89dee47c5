import type { SharedState } from '../shared-state/shared-state.port.js';
import type { AttemptContext, LockoutService } from './lockout.service.js';
import { lockoutSubject } from './lockout.service.js';

/** Pace of password attempts per username, whatever the address. */
export interface PasswordPace {
  /** Attempts of one username are spaced this far apart... */
  intervalMs: number;
  /** ...but none waits longer than this: a flood slows everyone a little and refuses no one. */
  maxWaitMs: number;
}

const DEFAULT_PACE: PasswordPace = { intervalMs: 1000, maxWaitMs: 2000 };

/** Where a username's pace is booked: the shared state (memory on one node, Redis across nodes). */
export type PaceSlots = Pick<SharedState, 'reserveSlot' | 'releaseSlots'>;

/** What the password throttle is built from. */
export interface PasswordThrottleDeps {
  lockout: LockoutService;
  slots: PaceSlots;
  pace?: PasswordPace;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Password throttling that cannot be turned against an account's owner: failures count per (username, client
 * address), with growing delays (refused with `LOCKED_OUT` inside them), so guessing from one
 * place is slowed while the right password from another place still signs in. Per username there is only a
 * gentle pace of about one attempt a second, which waits and never refuses. The pace is booked on the shared
 * state, so it holds across nodes; the delays are lockout rows in the store.
 */
export class PasswordThrottleService {
  private readonly lockout: LockoutService;
  private readonly slots: PaceSlots;
  private readonly pace: PasswordPace;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(deps: PasswordThrottleDeps) {
    this.lockout = deps.lockout;
    this.slots = deps.slots;
    this.pace = deps.pace ?? DEFAULT_PACE;
    this.sleep = deps.sleep ?? defaultSleep;
  }

  /** Waits for the username's turn, then throws `LOCKED_OUT` while the (username, address) pair is in a delay. */
  async before(username: string, context: AttemptContext): Promise<void> {
    const wait = await this.slots.reserveSlot(paceKey(username), this.pace.intervalMs, this.pace.maxWaitMs);
    await this.sleep(wait);
    await this.lockout.assertNotLocked(subjects(username, context.ip), context);
  }

  /** Counts a wrong password against the (username, address) pair. */
  async failed(username: string, context: AttemptContext): Promise<void> {
    await this.lockout.recordFailure(subjects(username, context.ip), context);
  }

  /** The right password: resets the pair's counter, and the username's pace. */
  async succeeded(username: string, ip: string | null): Promise<void> {
    await this.slots.releaseSlots(paceKey(username));
    await this.lockout.recordSuccess(subjects(username, ip));
  }

  /** Forgets every delay of a username (after an administrator resets its password). */
  async clear(username: string): Promise<void> {
    await this.slots.releaseSlots(paceKey(username));
    await this.lockout.clearPrefix(lockoutSubject.loginPairPrefix(username));
  }
}

/** The shared-state key of a username's pace (case-folded like usernames). */
function paceKey(username: string): string {
  return `password-pace:${username.toLowerCase()}`;
}

/** Only the (username, address) pair: a count per username or per shared address would let a stranger lock others out. */
function subjects(username: string, ip: string | null): string[] {
  return [lockoutSubject.loginPair(username, ip)];
}

function defaultSleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
