/**
 * The one serialiser: runs async tasks one at a time, in call order. Used where concurrent callers must not
 * interleave: models that keep state between calls or share a single-threaded runtime, the SQLite connection
 * (a transaction holds it across awaits), and the duplicate check + commit of an enrollment.
 *
 * It lives in `src/util` because engine, store and services all need it and none of them should import another
 * for it; it has no imports of its own.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** True while a task runs or waits. A caller may skip the queue when it is idle and its work is synchronous. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Queues `task` after every task queued before it and resolves (or rejects) with its result. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(() => task());
    // The next task starts only after this one settled and was counted out, so `busy` never drops while one waits.
    this.tail = result.then(
      () => {
        this.pending--;
      },
      () => {
        this.pending--;
      },
    );
    return result;
  }
}
