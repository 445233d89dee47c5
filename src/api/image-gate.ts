import { FacegateError } from '../domain/errors.js';

/** Bounds concurrent image analyses so overload becomes a fast 503, never a growing queue or a crash. */
export class ImageGate {
  private inFlight = 0;
  constructor(readonly limit: number) {}

  /** Runs `fn` when a slot is free, else throws `OVERLOADED` (Retry-After set by the error handler). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limit) {
      throw new FacegateError('OVERLOADED', 'Server busy; retry shortly', { retryAfterSeconds: 1 });
    }
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
}
