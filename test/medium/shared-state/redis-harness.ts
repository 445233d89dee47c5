import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The test Redis: `FACEGATE_TEST_REDIS_URL`, else the local server CI runs. */
export const TEST_REDIS_URL = process.env.FACEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Fails with one clear message when Redis is not reachable: the Redis suites must never skip silently. */
export async function requireRedis(): Promise<void> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is required by this suite and is not reachable at ${TEST_REDIS_URL} (${String(error)}). ` +
        'Start it (check with `redis-cli -h 127.0.0.1 ping`) or point FACEGATE_TEST_REDIS_URL at one.',
    );
  } finally {
    client.disconnect();
  }
}

/** A key prefix of its own for one test, so runs and parallel files never see each other's keys. */
export class TestPrefix {
  readonly name = `fg_test_${randomBytes(6).toString('hex')}:`;

  /** Every key under the prefix. */
  async keys(): Promise<string[]> {
    const client = new Redis(TEST_REDIS_URL);
    try {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${this.name}*`, 'COUNT', 500);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      return found;
    } finally {
      client.disconnect();
    }
  }

  /** Deletes every key under the prefix. */
  async drop(): Promise<void> {
    const keys = await this.keys();
    if (keys.length === 0) return;
    const client = new Redis(TEST_REDIS_URL);
    try {
      await client.del(...keys);
    } finally {
      client.disconnect();
    }
  }
}
