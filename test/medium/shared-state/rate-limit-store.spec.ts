import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoSharedState } from '../../../src/shared-state/dynamodb-shared-state.js';
import { MemorySharedState } from '../../../src/shared-state/memory-shared-state.js';
import { rateLimitStoreOptions } from '../../../src/shared-state/rate-limit-store.js';
import { RedisSharedState } from '../../../src/shared-state/redis-shared-state.js';
import type { SharedState } from '../../../src/shared-state/shared-state.port.js';
import { startLocalDynamo } from '../aws/dynalite-server.js';
import { requireRedis, TEST_REDIS_URL, TestPrefix } from './redis-harness.js';

await requireRedis();

/** One API node with a limit of 4 requests a minute per client, its counters where `state` says. */
async function apiNode(state: SharedState): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyRateLimit, { ...rateLimitStoreOptions(state), max: 4, timeWindow: 60_000 });
  app.get('/ping', async () => ({ ok: true }));
  await app.ready();
  return app;
}

const statuses = async (apps: FastifyInstance[], n: number) => {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push((await apps[i % apps.length]!.inject({ url: '/ping' })).statusCode);
  return codes;
};

describe('rate limits on shared state', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('with Redis, two nodes count one client against one limit, under the shared prefix', async () => {
    const prefix = new TestPrefix();
    const states = await Promise.all(
      [1, 2].map(() => RedisSharedState.connect({ url: TEST_REDIS_URL, keyPrefix: prefix.name })),
    );
    cleanup.push(() => prefix.drop());
    for (const s of states) cleanup.push(() => s.close());
    const apps = await Promise.all(states.map(apiNode));
    for (const app of apps) cleanup.push(() => app.close());
    expect(await statuses(apps, 6)).toEqual([200, 200, 200, 200, 429, 429]);
    const keys = await prefix.keys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`${prefix.name}rate-limit:`)).toBe(true);
  });

  it('with DynamoDB, two nodes count one client against one limit, on the shared counters', async () => {
    const dynamo = await startLocalDynamo();
    cleanup.push(() => dynamo.stop());
    const table = await dynamo.freshStateTable();
    const states = await Promise.all(
      [1, 2].map(() =>
        DynamoSharedState.open({
          tableName: table,
          clientConfig: {
            endpoint: dynamo.endpoint,
            region: 'us-east-1',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          },
        }),
      ),
    );
    for (const s of states) cleanup.push(() => s.close());
    const apps = await Promise.all(states.map(apiNode));
    for (const app of apps) cleanup.push(() => app.close());
    expect(await statuses(apps, 6)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await states[0]!.readCounters(['rate-limit:127.0.0.1'])).toEqual([6]);
  });

  it('in memory, each node counts alone (the single-node default)', async () => {
    expect(rateLimitStoreOptions(new MemorySharedState())).toEqual({});
    const apps = await Promise.all([1, 2].map(() => apiNode(new MemorySharedState())));
    for (const app of apps) cleanup.push(() => app.close());
    expect(await statuses(apps, 8)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    expect((await apps[0]!.inject({ url: '/ping' })).statusCode).toBe(429);
  });
});
