/**
 * A FIFO async mutex. `release` hands the lock straight to the next waiter, so `locked` is false only when
 * nobody holds or waits for it.
 */
export class AsyncMutex {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /** True while the lock is held. */
  get locked(): boolean {
    return this.held;
  }

  /** Waits for the lock; returns the function that releases it (idempotent). */
  async acquire(): Promise<() => void> {
    if (this.held) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
