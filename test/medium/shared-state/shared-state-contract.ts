import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SharedState } from '../../../src/shared-state/shared-state.port.js';

/** Two nodes on one shared state (the same instance for memory, two connections for Redis). */
export interface SharedStateUnderTest {
  a: SharedState;
  b: SharedState;
  dispose(): Promise<void>;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

/**
 * The shared-state port's contract: every implementation passes it unchanged. Each test gets a fresh namespace
 * from `open`, released by `dispose`.
 */
export function describeSharedStateContract(name: string, open: () => Promise<SharedStateUnderTest>): void {
  describe(`shared state contract: ${name}`, () => {
    let s: SharedStateUnderTest;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(async () => {
      await s.dispose();
    });

    it('a single-use item is taken once, by one of many racing takers on two nodes', async () => {
      expect(await s.a.putItem('challenge:1', 'nonce-1', 10_000)).toBe(true);
      expect(await s.b.peekItem('challenge:1')).toBe('nonce-1');
      const takers = Array.from({ length: 20 }, (_, i) => (i % 2 ? s.a : s.b).takeItem('challenge:1'));
      const taken = (await Promise.all(takers)).filter((v) => v !== undefined);
      expect(taken).toEqual(['nonce-1']);
      expect(await s.a.takeItem('challenge:1')).toBeUndefined();
      expect(await s.b.peekItem('challenge:1')).toBeUndefined();
    });

    it('putItem refuses a key that holds a live item, and items expire', async () => {
      expect(await s.a.putItem('pairing:42', 'first', 10_000)).toBe(true);
      expect(await s.b.putItem('pairing:42', 'second', 10_000)).toBe(false);
      expect(await s.b.takeItem('pairing:42')).toBe('first');
      expect(await s.a.putItem('mfa:1', 'step', 60)).toBe(true);
      await sleep(150);
      expect(await s.b.takeItem('mfa:1')).toBeUndefined();
      expect(await s.b.putItem('mfa:1', 'again', 10_000)).toBe(true);
      await s.a.deleteItem('mfa:1');
      expect(await s.b.peekItem('mfa:1')).toBeUndefined();
    });

    it('counters count every increment of every node exactly once, then reset when their window ends', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? s.a : s.b).increment('rl:ip:1', 10_000)),
      );
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      for (const r of results) expect(r.ttlMs).toBeGreaterThan(0);
      for (const r of results) expect(r.ttlMs).toBeLessThanOrEqual(10_000);
      await s.b.resetCounter('rl:ip:1');
      expect((await s.a.increment('rl:ip:1', 10_000)).count).toBe(1);
      expect((await s.a.increment('short', 60)).count).toBe(1);
      expect((await s.b.increment('short', 60)).count).toBe(2);
      await sleep(150);
      expect((await s.a.increment('short', 60)).count).toBe(1);
    });

    it('timed sets keep bytes as given, oldest first, filtered by time', async () => {
      const limits = { ttlMs: 10_000, maxEntries: 10 };
      const odd = bytes(0, 255, 10, 13, 0, 128);
      await s.a.timedAdd('set', odd, 1_000_003, limits);
      await s.b.timedAdd('set', bytes(1), 1_000_001, limits);
      await s.a.timedAdd('set', bytes(2), 1_000_002, limits);
      const all = await s.b.timedRange('set', 0);
      expect(all.map((e) => e.at)).toEqual([1_000_001, 1_000_002, 1_000_003]);
      expect(Array.from(all[2]!.entry)).toEqual(Array.from(odd));
      expect((await s.a.timedRange('set', 1_000_002)).map((e) => e.at)).toEqual([1_000_002, 1_000_003]);
      expect(await s.a.timedRange('absent', 0)).toEqual([]);
    });

    it('timed sets drop entries older than their time to live and keep only the newest maxEntries', async () => {
      const limits = { ttlMs: 1_000, maxEntries: 3 };
      await s.a.timedAdd('w', bytes(1), 10_000, limits);
      await s.b.timedAdd('w', bytes(2), 10_500, limits);
      await s.a.timedAdd('w', bytes(3), 11_000, limits); // 10 000 is now at or before 11 000 − 1 000
      expect((await s.b.timedRange('w', 0)).map((e) => e.at)).toEqual([10_500, 11_000]);
      for (let i = 1; i <= 4; i++) await s.a.timedAdd('w', bytes(10 + i), 11_000 + i, limits);
      expect((await s.b.timedRange('w', 0)).map((e) => e.at)).toEqual([11_002, 11_003, 11_004]);
    });

    it('timed-set removal takes the entries named, or exactly one entry of a time stamp', async () => {
      const limits = { ttlMs: 10_000, maxEntries: 10 };
      await s.a.timedAdd('r', bytes(1), 5_000, limits);
      await s.a.timedAdd('r', bytes(2), 5_000, limits);
      await s.a.timedAdd('r', bytes(3), 6_000, limits);
      expect(await s.b.timedRemoveOneAt('r', 5_000)).toBe(true);
      expect((await s.a.timedRange('r', 0)).map((e) => e.at)).toEqual([5_000, 6_000]);
      expect(await s.b.timedRemoveOneAt('r', 7_000)).toBe(false);
      expect(await s.b.timedRemove('r', [bytes(3), bytes(99)])).toBe(1);
      expect(await s.a.timedRange('r', 5_001)).toEqual([]);
      expect(await s.a.timedRemove('r', [])).toBe(0);
    });

    it('a whole timed set expires its time to live after the last write', async () => {
      await s.a.timedAdd('gone', bytes(1), Date.now(), { ttlMs: 60, maxEntries: 5 });
      await sleep(150);
      expect(await s.b.timedRange('gone', 0)).toEqual([]);
    });

    it('a lock is held by one node at a time, released only by its token, and expires', async () => {
      const tokens = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? s.a : s.b).tryLock('door', 10_000)),
      );
      const held = tokens.filter((t): t is string => t !== undefined);
      expect(held).toHaveLength(1);
      expect(await s.a.unlock('door', 'someone-else')).toBe(false);
      expect(await s.b.tryLock('door', 10_000)).toBeUndefined();
      expect(await s.b.unlock('door', held[0]!)).toBe(true);
      expect(await s.b.unlock('door', held[0]!)).toBe(false);
      const short = await s.a.tryLock('door', 60);
      expect(short).toBeDefined();
      await sleep(150);
      const next = await s.b.tryLock('door', 10_000);
      expect(next).toBeDefined();
      expect(await s.a.unlock('door', short!)).toBe(false);
      expect(await s.b.unlock('door', next!)).toBe(true);
    });

    it('counters read back as counted by either node, 0 when absent or expired', async () => {
      await s.a.increment('rc:1', 10_000);
      await s.b.increment('rc:1', 10_000);
      await s.b.increment('rc:2', 10_000);
      await s.a.increment('rc:short', 60);
      expect(await s.b.readCounters(['rc:1', 'rc:2', 'rc:absent', 'rc:short'])).toEqual([2, 1, 0, 1]);
      expect(await s.a.readCounters([])).toEqual([]);
      await sleep(150);
      expect(await s.a.readCounters(['rc:short', 'rc:1'])).toEqual([0, 2]);
    });

    it('paced slots are booked one interval apart across nodes, never beyond the longest wait', async () => {
      const waits = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? s.a : s.b).reserveSlot('pace:alice', 1000, 100_000)),
      );
      // Each booking is one interval after the one before; time passing while they run only shortens waits.
      const sorted = [...waits].sort((x, y) => x - y);
      sorted.forEach((wait, i) => {
        expect(wait).toBeLessThanOrEqual(i * 1000);
        expect(wait).toBeGreaterThan(i * 1000 - 500);
      });
      expect(await s.a.reserveSlot('pace:bob', 1000, 2000)).toBe(0);
      await s.b.reserveSlot('pace:bob', 1000, 2000);
      await s.a.reserveSlot('pace:bob', 1000, 2000);
      expect(await s.b.reserveSlot('pace:bob', 1000, 2000)).toBe(2000);
      await s.a.releaseSlots('pace:bob');
      expect(await s.b.reserveSlot('pace:bob', 1000, 2000)).toBe(0);
      expect(await s.a.reserveSlot('pace:carol', 60, 1000)).toBe(0);
      await sleep(150);
      expect(await s.b.reserveSlot('pace:carol', 60, 1000)).toBe(0);
    });

    it('ping answers', async () => {
      await expect(s.a.ping()).resolves.toBeUndefined();
    });
  });
}
