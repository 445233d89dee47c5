import { FacegateError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route analyses images: refused with `OVERLOADED` before its body is read when the gate is full. */
    imageWork?: boolean;
  }
}

/** Bounds concurrent image analyses so overload becomes a fast 503, never a growing queue or a crash. */
export class ImageGate {
  private inFlight = 0;
  constructor(readonly limit: number) {}

  /** Throws `OVERLOADED` when no slot is free; called before the upload is read, so refusals cost nothing. */
  assertCapacity(): void {
    if (this.inFlight >= this.limit) {
      throw new FacegateError('OVERLOADED', 'Server busy; retry shortly', { retryAfterSeconds: 1 });
    }
  }

  /** Runs `fn` when a slot is free, else throws `OVERLOADED` (Retry-After set by the error handler). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.assertCapacity();
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
}
