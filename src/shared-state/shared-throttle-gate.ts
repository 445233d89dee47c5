import { setTimeout as sleep } from 'node:timers/promises';
import { LocalThrottleGate, type ThrottleGate } from '../auth/throttle-gate.js';
import { FacegateError } from '../domain/errors.js';
import type { SharedState } from './shared-state.port.js';

/** Options of {@link SharedThrottleGate}. */
export interface SharedThrottleGateOptions {
  /** How long a lock holds when its node dies mid-run (default 30 s). */
  lockTtlMs?: number;
  /** How long a run waits for its turn before failing with `OVERLOADED` (default 60 s). */
  maxWaitMs?: number;
  /** Pause between two tries of a taken lock (default 25 ms). */
  pollMs?: number;
  prefix?: string;
}

/**
 * {@link ThrottleGate} across nodes: runs of one key queue in order on their node (a local gate), then the head
 * of each node's queue takes a shared lock with a time to live, so a key runs one at a time over all nodes and a
 * crashed node blocks it for at most the lock's lifetime.
 */
export class SharedThrottleGate implements ThrottleGate {
  private readonly local = new LocalThrottleGate();
  private readonly lockTtlMs: number;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  private readonly prefix: string;

  constructor(
    private readonly state: SharedState,
    options: SharedThrottleGateOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 30_000;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.pollMs = options.pollMs ?? 25;
    this.prefix = options.prefix ?? 'gate:';
  }

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.locked(this.prefix + key, fn));
  }

  private async locked<T>(lockKey: string, fn: () => Promise<T>): Promise<T> {
    const token = await this.acquire(lockKey);
    try {
      return await fn();
    } finally {
      await this.state.unlock(lockKey, token).catch(() => undefined);
    }
  }

  private async acquire(lockKey: string): Promise<string> {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      const token = await this.state.tryLock(lockKey, this.lockTtlMs);
      if (token) return token;
      if (Date.now() >= deadline) {
        throw new FacegateError('OVERLOADED', 'Too many attempts waiting; retry shortly', {
          retryAfterSeconds: 5,
        });
      }
      await sleep(this.pollMs);
    }
  }
}
