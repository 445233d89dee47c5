import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { RedisSharedState } from './redis-shared-state.js';
import type { SharedState } from './shared-state.port.js';

/** The `@fastify/rate-limit` options that choose where its counters live. */
export interface RateLimitStoreOptions {
  /** The ioredis client of the shared state; absent: the plugin's in-process store. */
  redis?: Redis;
  /** Key prefix of the plugin's counters, under the shared state's own prefix. */
  nameSpace?: string;
  /** Whether the plugin lets requests through when Redis fails (never: limits must not vanish silently). */
  skipOnError?: boolean;
  /** A store of the plugin's counters on the shared state's own counters (DynamoDB). */
  store?: FastifyRateLimitStoreCtor;
}

/**
 * Rate-limit store options for a shared state, spread into the plugin's options in one line:
 * `app.register(fastifyRateLimit, { ...rateLimitStoreOptions(sharedState), max, timeWindow })`. With Redis (the
 * plugin's own Redis store) or DynamoDB (the shared state's counters) every node counts against the same limit; in
 * memory each node counts alone.
 */
export function rateLimitStoreOptions(state: SharedState): RateLimitStoreOptions {
  if (state instanceof RedisSharedState) {
    return { redis: state.client, nameSpace: `${state.keyPrefix}rate-limit:`, skipOnError: false };
  }
  if (state.kind === 'memory') return {};
  return { store: counterStoreOn(state), skipOnError: false };
}

/**
 * The plugin's store on {@link SharedState.increment}: a fixed window per key that starts at its first request,
 * as the plugin's own stores count. A failure reaches the plugin, which answers with it (`NOT_READY`).
 */
function counterStoreOn(state: Pick<SharedState, 'increment'>): FastifyRateLimitStoreCtor {
  return class SharedCounterStore implements FastifyRateLimitStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      state.increment(`rate-limit:${key}`, timeWindow).then(
        ({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): FastifyRateLimitStore {
      return new SharedCounterStore();
    }
  };
}
