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

/** Most usernames paced at once; beyond that the oldest reservations are dropped. */
const MAX_PACED = 10_000;

/**
 * Password throttling that cannot be turned against an account's owner: failures count per (username, client
 * address), with growing delays (refused with `LOCKED_OUT` inside them), so guessing from one
 * place is slowed while the right password from another place still signs in. Per username there is only a
 * gentle pace of about one attempt a second, which waits and never refuses.
 */
export class PasswordThrottleService {
  private readonly nextSlot = new Map<string, number>();

  constructor(
    private readonly lockout: LockoutService,
    private readonly pace: PasswordPace = DEFAULT_PACE,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /** Waits for the username's turn, then throws `LOCKED_OUT` while the (username, address) pair is in a delay. */
  async before(username: string, context: AttemptContext): Promise<void> {
    await this.sleep(this.reserve(username.toLowerCase()));
    await this.lockout.assertNotLocked(subjects(username, context.ip), context);
  }

  /** Counts a wrong password against the (username, address) pair. */
  async failed(username: string, context: AttemptContext): Promise<void> {
    await this.lockout.recordFailure(subjects(username, context.ip), context);
  }

  /** The right password: resets the pair's counter, and the username's pace. */
  async succeeded(username: string, ip: string | null): Promise<void> {
    this.nextSlot.delete(username.toLowerCase());
    await this.lockout.recordSuccess(subjects(username, ip));
  }

  /** Forgets every delay of a username (after an administrator resets its password). */
  async clear(username: string): Promise<void> {
    this.nextSlot.delete(username.toLowerCase());
    await this.lockout.clearPrefix(lockoutSubject.loginPairPrefix(username));
  }

  /** Books the username's next slot and returns how long to wait for it. */
  private reserve(name: string): number {
    const now = this.clock();
    const slot = Math.min(Math.max(now, this.nextSlot.get(name) ?? now), now + this.pace.maxWaitMs);
    this.nextSlot.delete(name);
    this.nextSlot.set(name, slot + this.pace.intervalMs);
    // Oldest bookings first: drop the ones already past, and any beyond the bound.
    for (const [stale, next] of this.nextSlot) {
      if (next > now && this.nextSlot.size <= MAX_PACED) break;
      this.nextSlot.delete(stale);
    }
    return slot - now;
  }
}

/** Only the (username, address) pair: a count per username or per shared address would let a stranger lock others out. */
function subjects(username: string, ip: string | null): string[] {
  return [lockoutSubject.loginPair(username, ip)];
}

function defaultSleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
