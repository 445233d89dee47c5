import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { FacegateError } from '../domain/errors.js';
import { at } from '../util/checked-access.js';
import type { CounterState, SharedState, TimedEntry, TimedSetLimits } from './shared-state.port.js';

/** Options of {@link RedisSharedState.connect}. */
export interface RedisSharedStateOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Prefix of every key this node writes (default `facegate:`), so one Redis can serve several installs. */
  keyPrefix?: string;
  /** How long a command may wait for an unreachable server before failing with `NOT_READY`. */
  connectTimeoutMs?: number;
}

// Each script touches one key, so Redis runs it whole before any other command on that key.
const INCREMENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

const TIMED_ADD = `
local at = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], at, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at - ttl)
local n = redis.call('ZCARD', KEYS[1])
if n > max then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1) end
redis.call('PEXPIRE', KEYS[1], ttl)
return n`;

const TIMED_REMOVE_ONE_AT = `
local found = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if found[1] then return redis.call('ZREM', KEYS[1], found[1]) end
return 0`;

// The server's clock, so that every node books slots on one time line.
const RESERVE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextSlot = tonumber(redis.call('GET', KEYS[1]) or now)
local slot = math.min(math.max(now, nextSlot), now + tonumber(ARGV[2]))
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now)
return slot - now`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * {@link SharedState} on Redis (ioredis), shared by every node. Single-key atomicity comes from Redis itself
 * (`SET NX PX`, `GETDEL`) or from a Lua script per operation. Timed-set entries are stored base64-encoded as
 * sorted-set members scored by their time stamp.
 */
export class RedisSharedState implements SharedState {
  readonly kind = 'redis';

  private constructor(
    /** The connection, also handed to `@fastify/rate-limit`'s Redis store. */
    readonly client: Redis,
    /** Prefix of every key. */
    readonly keyPrefix: string,
  ) {}

  /** Connects and checks the server answers; throws `NOT_READY` with the reason otherwise. */
  static async connect(options: RedisSharedStateOptions): Promise<RedisSharedState> {
    const client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 3000,
      maxRetriesPerRequest: 2,
    });
    // Connection errors surface on the commands that fail; unhandled, the event would crash the process.
    client.on('error', () => undefined);
    const state = new RedisSharedState(client, options.keyPrefix ?? 'facegate:');
    try {
      await client.connect();
      await state.ping();
    } catch (error) {
      client.disconnect();
      throw notReady(error);
    }
    return state;
  }

  private k(key: string): string {
    return this.keyPrefix + key;
  }

  async putItem(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.run(() => this.client.set(this.k(key), value, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async takeItem(key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.getdel(this.k(key)))) ?? undefined;
  }

  async peekItem(key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.get(this.k(key)))) ?? undefined;
  }

  async deleteItem(key: string): Promise<void> {
    await this.run(() => this.client.del(this.k(key)));
  }

  async increment(key: string, ttlMs: number): Promise<CounterState> {
    const [count, ttl] = (await this.run(() => this.client.eval(INCREMENT, 1, this.k(key), ttlMs))) as [
      number,
      number,
    ];
    return { count, ttlMs: ttl };
  }

  async resetCounter(key: string): Promise<void> {
    await this.run(() => this.client.del(this.k(key)));
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const values = await this.run(() => this.client.mget(keys.map((key) => this.k(key))));
    return values.map((value) => (value === null ? 0 : Number(value)));
  }

  async reserveSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<number> {
    const wait = await this.run(() => this.client.eval(RESERVE_SLOT, 1, this.k(key), intervalMs, maxWaitMs));
    return Number(wait);
  }

  async releaseSlots(key: string): Promise<void> {
    await this.run(() => this.client.del(this.k(key)));
  }

  async timedAdd(key: string, entry: Uint8Array, at: number, limits: TimedSetLimits): Promise<void> {
    const member = Buffer.from(entry).toString('base64');
    await this.run(() =>
      this.client.eval(TIMED_ADD, 1, this.k(key), member, at, limits.ttlMs, limits.maxEntries),
    );
  }

  async timedRange(key: string, since: number): Promise<TimedEntry[]> {
    const flat = await this.run(() => this.client.zrangebyscore(this.k(key), since, '+inf', 'WITHSCORES'));
    const entries: TimedEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ entry: Buffer.from(at(flat, i), 'base64'), at: Number(flat[i + 1]) });
    }
    return entries;
  }

  async timedRemove(key: string, entries: readonly Uint8Array[]): Promise<number> {
    if (entries.length === 0) return 0;
    const members = entries.map((e) => Buffer.from(e).toString('base64'));
    return this.run(() => this.client.zrem(this.k(key), ...members));
  }

  async timedRemoveOneAt(key: string, at: number): Promise<boolean> {
    return (await this.run(() => this.client.eval(TIMED_REMOVE_ONE_AT, 1, this.k(key), at))) === 1;
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const done = await this.run(() => this.client.set(this.k(key), token, 'PX', ttlMs, 'NX'));
    return done === 'OK' ? token : undefined;
  }

  async unlock(key: string, token: string): Promise<boolean> {
    return (await this.run(() => this.client.eval(UNLOCK, 1, this.k(key), token))) === 1;
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** Runs one command; a connection failure becomes `NOT_READY` (503), never a raw error. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw notReady(error);
    }
  }
}

function notReady(error: unknown): FacegateError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FacegateError('NOT_READY', `Shared state (Redis) unavailable: ${reason}`);
}
