import { randomBytes } from 'node:crypto';
import type { FailureWindows } from '../auth/throttle-window.js';
import type { SharedState } from './shared-state.port.js';

/**
 * {@link FailureWindows} on shared state: one timed set per subject, so a failure counted on one node slows the
 * subject down on every node. Each failure is a random entry stamped with its time.
 */
export class SharedFailureWindows implements FailureWindows {
  constructor(
    private readonly state: SharedState,
    private readonly windowMs: number,
    private readonly maxPerSubject = 1_000,
    private readonly prefix = 'failures:',
  ) {}

  async add(subject: string, at: number): Promise<void> {
    await this.state.timedAdd(this.prefix + subject, randomBytes(12), at, {
      ttlMs: this.windowMs,
      maxEntries: this.maxPerSubject,
    });
  }

  async since(subject: string, since: number): Promise<number[]> {
    return (await this.state.timedRange(this.prefix + subject, since)).map((e) => e.at);
  }

  async remove(subject: string, at: number): Promise<void> {
    await this.state.timedRemoveOneAt(this.prefix + subject, at);
  }
}
