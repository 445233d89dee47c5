/**
 * Runs async tasks one at a time in call order. Models that keep state between calls (Human) or share a
 * single-threaded runtime are wrapped in one so concurrent callers never interleave inside them.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `task` after every task queued before it and resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
