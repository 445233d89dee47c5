/**
 * Runs work for one key at a time. In-process on one node; with several API nodes this becomes a shared lock
 * (Redis), hence the interface.
 */
export interface ThrottleGate {
  /** Runs `fn` once every earlier `run` of the same key has finished. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** In-process {@link ThrottleGate}: a promise chain per key, dropped when the key falls idle. */
export class LocalThrottleGate implements ThrottleGate {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or waiting (for tests and metrics). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
