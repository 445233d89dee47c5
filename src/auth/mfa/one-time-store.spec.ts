import { describe, expect, it } from 'vitest';
import { MemoryOneTimeStore } from './one-time-store.js';

describe('MemoryOneTimeStore', () => {
  it('gives a value once', async () => {
    const store = new MemoryOneTimeStore<string>(() => new Date(0));
    await store.put('k', 'v', 1000);
    expect(await Promise.all([store.take('k'), store.take('k')])).toEqual(['v', undefined]);
  });

  it('gives nothing after expiry and forgets expired values', async () => {
    let now = 0;
    const store = new MemoryOneTimeStore<string>(() => new Date(now));
    await store.put('a', 'v', 1000);
    now = 1000;
    expect(await store.take('a')).toBeUndefined();
    await store.put('b', 'v', 500);
    await store.put('c', 'v', 5000);
    expect(store.size).toBe(1);
  });

  it('drops the value closest to expiry when full', async () => {
    const store = new MemoryOneTimeStore<string>(() => new Date(0), 2);
    await store.put('soon', '1', 100);
    await store.put('late', '2', 900);
    await store.put('new', '3', 500);
    expect(await store.take('soon')).toBeUndefined();
    expect(await store.take('late')).toBe('2');
    expect(await store.take('new')).toBe('3');
  });
});
