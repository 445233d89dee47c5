import { describe, expect, it } from 'vitest';
import { delaySeconds, MemoryFailureWindows, retryAfterSeconds } from './throttle-window.js';

const rule = { threshold: 3, baseSeconds: 10, maxSeconds: 60 };

describe('throttle window', () => {
  it('no delay below the threshold, then base doubling up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => delaySeconds(n, rule))).toEqual([0, 0, 10, 20, 40, 60, 60]);
  });

  it('retry-after counts from the last failure', () => {
    expect(retryAfterSeconds([], rule, 0)).toBe(0);
    expect(retryAfterSeconds([0, 1000, 2000], rule, 2000)).toBe(10);
    expect(retryAfterSeconds([0, 1000, 2000], rule, 11_500)).toBe(1);
    expect(retryAfterSeconds([0, 1000, 2000], rule, 12_000)).toBe(0);
  });

  it('forgets failures older than the window', async () => {
    const windows = new MemoryFailureWindows(60_000);
    await windows.add('key:a', 0);
    await windows.add('key:a', 30_000);
    await windows.add('key:a', 70_000);
    expect(await windows.since('key:a', 70_000 - 60_000 + 1)).toEqual([30_000, 70_000]);
    expect(await windows.since('key:b', 0)).toEqual([]);
  });

  it('takes back one failure by its time', async () => {
    const windows = new MemoryFailureWindows(60_000);
    await windows.add('key:a', 5);
    await windows.add('key:a', 5);
    await windows.add('key:a', 9);
    await windows.remove('key:a', 5);
    await windows.remove('key:a', 7);
    await windows.remove('key:b', 5);
    expect(await windows.since('key:a', 0)).toEqual([5, 9]);
  });

  it('is bounded in subjects and in failures per subject', async () => {
    const windows = new MemoryFailureWindows(60_000, 2, 3);
    for (let i = 0; i < 5; i++) await windows.add('ip:1', i);
    expect(await windows.since('ip:1', 0)).toEqual([2, 3, 4]);
    await windows.add('ip:2', 10);
    await windows.add('ip:3', 11);
    expect(await windows.since('ip:1', 0)).toEqual([]);
    expect(await windows.since('ip:3', 0)).toEqual([11]);
  });
});
