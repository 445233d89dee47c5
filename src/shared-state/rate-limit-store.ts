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
}

/**
 * Rate-limit store options for a shared state, spread into the plugin's options in one line:
 * `app.register(fastifyRateLimit, { ...rateLimitStoreOptions(sharedState), max, timeWindow })`. With Redis every
 * node counts against the same limit; in memory each node counts alone.
 */
export function rateLimitStoreOptions(state: SharedState): RateLimitStoreOptions {
  if (!(state instanceof RedisSharedState)) return {};
  return { redis: state.client, nameSpace: `${state.keyPrefix}rate-limit:`, skipOnError: false };
}
