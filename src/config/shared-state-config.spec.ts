import { describe, expect, it } from 'vitest';
import { FacegateError } from '../domain/errors.js';
import { loadConfig, sharedStateWarnings } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('CONFIG_INVALID');
    return ((error as FacegateError).details as { problems: string[] }).problems;
  }
  return [];
}

describe('shared-state settings', () => {
  it('default to local state in this process, with no warning on the embedded defaults', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.sharedState).toEqual({ kind: 'local', redisUrl: undefined, redisPrefix: 'facegate:' });
    expect(sharedStateWarnings(config)).toEqual([]);
  });

  it('redis needs a redis:// or rediss:// FACEGATE_REDIS_URL', () => {
    expect(problems({ FACEGATE_SHARED_STATE: 'redis' })).toEqual([
      'FACEGATE_REDIS_URL is required when FACEGATE_SHARED_STATE=redis',
    ]);
    expect(problems({ FACEGATE_SHARED_STATE: 'redis', FACEGATE_REDIS_URL: 'http://cache:6379' })).toEqual([
      'FACEGATE_REDIS_URL must be a redis:// or rediss:// URL',
    ]);
    expect(problems({ FACEGATE_SHARED_STATE: 'memcached' })).toEqual([
      'FACEGATE_SHARED_STATE must be one of local, redis, got "memcached"',
    ]);
    const config = loadConfig({
      NODE_ENV: 'test',
      FACEGATE_SHARED_STATE: 'redis',
      FACEGATE_REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
      FACEGATE_REDIS_PREFIX: 'site-a:',
    });
    expect(config.sharedState).toEqual({
      kind: 'redis',
      redisUrl: 'rediss://:pw@cache.internal:6380/2',
      redisPrefix: 'site-a:',
    });
  });

  it('refuses a key prefix that is not plain, and lists it beside the other problems', () => {
    expect(
      problems({
        FACEGATE_SHARED_STATE: 'redis',
        FACEGATE_REDIS_URL: 'redis://127.0.0.1:6379',
        FACEGATE_REDIS_PREFIX: 'a b*',
        FACEGATE_STORE: 'postgres',
      }),
    ).toEqual([
      'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
      'FACEGATE_REDIS_PREFIX must be 1-64 letters, digits or _ . : -',
    ]);
  });

  it('accepts every store and shared-state combination, warning about per-node state on PostgreSQL', () => {
    const db = { FACEGATE_DATABASE_URL: 'postgres://h/db' };
    const redis = { FACEGATE_REDIS_URL: 'redis://127.0.0.1:6379' };
    for (const store of ['sqlite', 'postgres']) {
      for (const shared of ['local', 'redis']) {
        const env = { FACEGATE_STORE: store, FACEGATE_SHARED_STATE: shared, ...db, ...redis };
        expect(problems(env)).toEqual([]);
        const warnings = sharedStateWarnings(loadConfig({ NODE_ENV: 'test', ...env }));
        const perNode = store === 'postgres' && shared === 'local';
        expect(warnings.some((w) => w.includes('run one node only'))).toBe(perNode);
      }
    }
  });

  it('warns when a Redis URL is set but shared state stays local (a likely forgotten setting)', () => {
    const config = loadConfig({ NODE_ENV: 'test', FACEGATE_REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(sharedStateWarnings(config)).toEqual([
      'FACEGATE_REDIS_URL is ignored unless FACEGATE_SHARED_STATE=redis',
    ]);
  });
});
