import { describe, expect, it } from 'vitest';
import { KioskThrottleService } from '../../../src/auth/kiosk-throttle.service.js';
import { kioskThrottleStateOn } from '../../../src/shared-state/kiosk-throttle-state.js';
import { MemorySharedState } from '../../../src/shared-state/memory-shared-state.js';
import { RedisSharedState } from '../../../src/shared-state/redis-shared-state.js';
import { createMemoryStore } from '../../../src/store/testing/memory-store.js';
import { requireRedis, TEST_REDIS_URL, TestPrefix } from './redis-harness.js';
import { describeSharedAdapters } from './shared-adapters-contract.js';
import { describeSharedStateContract, type SharedStateUnderTest } from './shared-state-contract.js';

await requireRedis();

/** Two nodes: two connections on one fresh key prefix, whose keys are deleted afterwards. */
async function openRedis(): Promise<SharedStateUnderTest> {
  const prefix = new TestPrefix();
  const open = () => RedisSharedState.connect({ url: TEST_REDIS_URL, keyPrefix: prefix.name });
  const [a, b] = await Promise.all([open(), open()]);
  return {
    a,
    b,
    async dispose() {
      await Promise.all([a.close(), b.close()]);
      await prefix.drop();
    },
  };
}

describeSharedStateContract('Redis', openRedis);
describeSharedAdapters('Redis', openRedis);

describe('Redis shared state: its own behaviour', () => {
  it('writes only under its key prefix, and every key it writes has a time to live', async () => {
    const prefix = new TestPrefix();
    const state = await RedisSharedState.connect({ url: TEST_REDIS_URL, keyPrefix: prefix.name });
    try {
      await state.putItem('item', 'v', 60_000);
      await state.increment('counter', 60_000);
      await state.timedAdd('set', Uint8Array.from([1]), Date.now(), { ttlMs: 60_000, maxEntries: 5 });
      await state.tryLock('lock', 60_000);
      await state.reserveSlot('pace', 1000, 60_000);
      await state.reserveSlot('pace', 1000, 60_000);
      const keys = await prefix.keys();
      expect(keys.sort()).toEqual(['counter', 'item', 'lock', 'pace', 'set'].map((k) => prefix.name + k));
      for (const key of keys) {
        const ttl = await state.client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
    } finally {
      await state.close();
      await prefix.drop();
    }
  });

  it('an unreachable server is NOT_READY with the reason, at connect and on a dropped connection', async () => {
    await expect(
      RedisSharedState.connect({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'NOT_READY' });
    const prefix = new TestPrefix();
    const state = await RedisSharedState.connect({ url: TEST_REDIS_URL, keyPrefix: prefix.name });
    state.client.disconnect();
    await expect(state.takeItem('x')).rejects.toMatchObject({ code: 'NOT_READY' });
  });

  it('kioskThrottleStateOn: Redis parts for two nodes that lock one door; nothing for memory', async () => {
    expect(kioskThrottleStateOn(new MemorySharedState(), 600)).toBeUndefined();
    const prefix = new TestPrefix();
    const states = await Promise.all(
      [1, 2].map(() => RedisSharedState.connect({ url: TEST_REDIS_URL, keyPrefix: prefix.name })),
    );
    try {
      const clock = () => new Date();
      const [a, b] = states.map(
        (state) =>
          new KioskThrottleService({
            store: createMemoryStore(clock),
            limits: async () => ({ threshold: 2, baseDelaySeconds: 30, hardCap: 10 }),
            options: {
              windowSeconds: 600,
              maxDelaySeconds: 60,
              alarm: { rate: 1, minSamples: 100, windowSeconds: 60 },
            },
            ...kioskThrottleStateOn(state, 600),
          }),
      );
      const fail = (node: KioskThrottleService, axis: number) =>
        node.attempt(['key:door'], { action: 'authenticate', actor: null, ip: '10.0.0.9' }, async (check) => {
          const v = new Float32Array(8);
          v[axis] = 1;
          await check({ embedding: v, threshold: 0.9 });
          return { decision: 'no_match' as const };
        });
      await fail(a!, 0);
      await fail(b!, 1);
      await expect(fail(a!, 2)).rejects.toMatchObject({ code: 'LOCKED_OUT' });
      await expect(fail(b!, 3)).rejects.toMatchObject({ code: 'LOCKED_OUT' });
    } finally {
      await Promise.all(states.map((s) => s.close()));
      await prefix.drop();
    }
  });
});
