import { randomUUID } from 'node:crypto';
import type { CounterState, SharedState, TimedEntry, TimedSetLimits } from './shared-state.port.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface StoredEntry {
  id: string;
  entry: Uint8Array;
  at: number;
}

/** Options of {@link MemorySharedState}. */
export interface MemorySharedStateOptions {
  /** Clock for item, counter and lock lifetimes (epoch ms). */
  now?: () => number;
  /** Most keys held per kind; the oldest written goes first. */
  maxKeys?: number;
}

/**
 * {@link SharedState} for one node: plain maps in this process, each bounded in keys. JavaScript runs one call at
 * a time, so every method is atomic as it stands.
 */
export class MemorySharedState implements SharedState {
  readonly kind = 'memory';
  private readonly items = new Map<string, Expiring<string>>();
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly locks = new Map<string, Expiring<string>>();
  private readonly sets = new Map<string, Expiring<StoredEntry[]>>();
  /** Per paced key, the time (epoch ms) its next slot starts. */
  private readonly slots = new Map<string, Expiring<number>>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(options: MemorySharedStateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  async putItem(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (live(this.items, key, this.now())) return false;
    this.write(this.items, key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async takeItem(key: string): Promise<string | undefined> {
    const item = live(this.items, key, this.now());
    this.items.delete(key);
    return item?.value;
  }

  async peekItem(key: string): Promise<string | undefined> {
    return live(this.items, key, this.now())?.value;
  }

  async deleteItem(key: string): Promise<void> {
    this.items.delete(key);
  }

  async increment(key: string, ttlMs: number): Promise<CounterState> {
    const now = this.now();
    const current = live(this.counters, key, now) ?? { value: 0, expiresAt: now + ttlMs };
    current.value++;
    this.write(this.counters, key, current);
    return { count: current.value, ttlMs: current.expiresAt - now };
  }

  async resetCounter(key: string): Promise<void> {
    this.counters.delete(key);
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    const now = this.now();
    return keys.map((key) => live(this.counters, key, now)?.value ?? 0);
  }

  async reserveSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<number> {
    const now = this.now();
    const next = live(this.slots, key, now)?.value ?? now;
    const slot = Math.min(Math.max(now, next), now + maxWaitMs);
    this.write(this.slots, key, { value: slot + intervalMs, expiresAt: slot + intervalMs });
    return slot - now;
  }

  async releaseSlots(key: string): Promise<void> {
    this.slots.delete(key);
  }

  async timedAdd(key: string, entry: Uint8Array, at: number, limits: TimedSetLimits): Promise<void> {
    const id = Buffer.from(entry).toString('base64');
    const held = (live(this.sets, key, this.now())?.value ?? []).filter(
      (e) => e.at > at - limits.ttlMs && e.id !== id,
    );
    held.push({ id, entry: Uint8Array.from(entry), at });
    held.sort((a, b) => a.at - b.at);
    if (held.length > limits.maxEntries) wipe(held.splice(0, held.length - limits.maxEntries));
    this.write(this.sets, key, { value: held, expiresAt: this.now() + limits.ttlMs });
  }

  async timedRange(key: string, since: number): Promise<TimedEntry[]> {
    const held = live(this.sets, key, this.now())?.value ?? [];
    return held.filter((e) => e.at >= since).map((e) => ({ entry: Uint8Array.from(e.entry), at: e.at }));
  }

  async timedRemove(key: string, entries: readonly Uint8Array[]): Promise<number> {
    const set = live(this.sets, key, this.now());
    if (!set) return 0;
    const ids = new Set(entries.map((e) => Buffer.from(e).toString('base64')));
    const kept = set.value.filter((e) => !ids.has(e.id));
    wipe(set.value.filter((e) => ids.has(e.id)));
    const removed = set.value.length - kept.length;
    set.value = kept;
    return removed;
  }

  async timedRemoveOneAt(key: string, at: number): Promise<boolean> {
    const set = live(this.sets, key, this.now());
    const index = set?.value.findIndex((e) => e.at === at) ?? -1;
    if (!set || index < 0) return false;
    wipe(set.value.splice(index, 1));
    return true;
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    if (live(this.locks, key, this.now())) return undefined;
    const token = randomUUID();
    this.write(this.locks, key, { value: token, expiresAt: this.now() + ttlMs });
    return token;
  }

  async unlock(key: string, token: string): Promise<boolean> {
    if (live(this.locks, key, this.now())?.value !== token) return false;
    this.locks.delete(key);
    return true;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const set of this.sets.values()) wipe(set.value);
    this.items.clear();
    this.counters.clear();
    this.locks.clear();
    this.sets.clear();
    this.slots.clear();
  }

  /** Writes a key last in insertion order, then evicts the oldest keys over the bound. */
  private write<T>(map: Map<string, Expiring<T>>, key: string, value: Expiring<T>): void {
    map.delete(key);
    map.set(key, value);
    for (const oldest of map.keys()) {
      if (map.size <= this.maxKeys) break;
      map.delete(oldest);
    }
  }
}

/** The key's value when it has not expired; an expired one is dropped. */
function live<T>(map: Map<string, Expiring<T>>, key: string, now: number): Expiring<T> | undefined {
  const held = map.get(key);
  if (held && held.expiresAt <= now) {
    map.delete(key);
    return undefined;
  }
  return held;
}

/** Overwrites dropped entries: they may be embeddings, which must not outlive their time to live in the heap. */
function wipe(entries: readonly StoredEntry[]): void {
  for (const e of entries) e.entry.fill(0);
}
