/**
 * State that every API node must see the same way: single-use items (liveness challenges, MFA step tokens,
 * pairing codes), counters over a time window (rate limits), timed sets (failure windows, recent failed probes),
 * and a one-at-a-time lock. One node keeps it in memory; several nodes share it through Redis, or, on AWS Lambda,
 * through a DynamoDB table. Every method is atomic on its own key: two nodes racing on one key see one outcome.
 */
export interface SharedState {
  readonly kind: 'memory' | 'redis' | 'dynamodb';

  /** Stores a single-use item for `ttlMs`; false (nothing stored) when the key already holds a live item. */
  putItem(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Takes a live item and deletes it in the same step: of two racing takers, only one gets the value. */
  takeItem(key: string): Promise<string | undefined>;
  /** Reads a live item without taking it. */
  peekItem(key: string): Promise<string | undefined>;
  /** Deletes an item (no-op when absent). */
  deleteItem(key: string): Promise<void>;

  /**
   * Adds one to a counter that lives `ttlMs` from its first increment (a fixed window), and returns the new count
   * and the time left until it resets.
   */
  increment(key: string, ttlMs: number): Promise<CounterState>;
  /** Resets a counter. */
  resetCounter(key: string): Promise<void>;
  /** The current values of counters, in the order given (0 for one absent or whose window ended). */
  readCounters(keys: readonly string[]): Promise<number[]>;

  /**
   * Books the next slot of a paced key: slots are `intervalMs` apart, starting now when the key is idle, but never
   * more than `maxWaitMs` ahead. Returns how long the caller waits for its slot. Times come from one time line for
   * every node (the server's clock on Redis; on DynamoDB the nodes' NTP-synchronised clocks), so nodes share one
   * pace.
   */
  reserveSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<number>;
  /** Forgets the slots booked on a key: the next one starts now. */
  releaseSlots(key: string): Promise<void>;

  /**
   * Adds an entry (opaque bytes, unique within the set) stamped `at` (epoch ms) to a timed set, drops entries
   * stamped at or before `at − ttlMs`, keeps only the newest `maxEntries`, and lets the whole set expire `ttlMs`
   * after this write.
   */
  timedAdd(key: string, entry: Uint8Array, at: number, limits: TimedSetLimits): Promise<void>;
  /** Entries stamped at or after `since`, oldest first. */
  timedRange(key: string, since: number): Promise<TimedEntry[]>;
  /** Removes the given entries; returns how many were held. */
  timedRemove(key: string, entries: readonly Uint8Array[]): Promise<number>;
  /** Removes one entry stamped exactly `at`, if any; true when one was removed. */
  timedRemoveOneAt(key: string, at: number): Promise<boolean>;

  /** Takes a lock for `ttlMs` unless someone holds it; returns the holder's token, or undefined when taken. */
  tryLock(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases a lock if `token` still holds it; false when it had expired or passed to someone else. */
  unlock(key: string, token: string): Promise<boolean>;

  /** Resolves when the backing service answers; throws `NOT_READY` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A counter's value and the milliseconds until it resets. */
export interface CounterState {
  count: number;
  ttlMs: number;
}

/** Bounds of a timed set. */
export interface TimedSetLimits {
  ttlMs: number;
  maxEntries: number;
}

/** One entry of a timed set. */
export interface TimedEntry {
  entry: Uint8Array;
  at: number;
}
