/**
 * Short-lived values each taken at most once: MFA step tokens and WebAuthn challenges. One process keeps them in
 * memory; a scale-out deployment puts a shared store (Redis `SET … PX` + `GETDEL`) behind the same interface.
 */
export interface OneTimeStore<T> {
  /** Keeps `value` under `key` until `expiresAt` (epoch ms), replacing any value under that key. */
  put(key: string, value: T, expiresAt: number): Promise<void>;
  /** Removes and returns the value under `key`; undefined when absent, already taken or expired. Atomic. */
  take(key: string): Promise<T | undefined>;
}

/** Most values a memory store holds; beyond it, the entries closest to expiry are dropped first. */
const DEFAULT_CAPACITY = 10_000;

/** {@link OneTimeStore} in one process's memory, with expiry against an injected clock. */
export class MemoryOneTimeStore<T> implements OneTimeStore<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async put(key: string, value: T, expiresAt: number): Promise<void> {
    this.sweep();
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.evict();
    this.entries.set(key, { value, expiresAt });
  }

  async take(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    // Deleted before anything awaits, so two concurrent takes cannot both get it.
    this.entries.delete(key);
    if (!entry || entry.expiresAt <= this.now().getTime()) return undefined;
    return entry.value;
  }

  /** How many values are held (tests). */
  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const now = this.now().getTime();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  private evict(): void {
    let oldest: string | undefined;
    let oldestAt = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt < oldestAt) [oldest, oldestAt] = [key, entry.expiresAt];
    }
    if (oldest !== undefined) this.entries.delete(oldest);
  }
}
