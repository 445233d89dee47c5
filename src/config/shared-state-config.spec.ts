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
    expect(config.sharedState).toEqual({
      kind: 'local',
      redisUrl: undefined,
      redisPrefix: 'facegate:',
      dynamodb: { table: undefined, endpoint: undefined, region: 'us-east-1' },
    });
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
      'FACEGATE_SHARED_STATE must be one of local, redis, dynamodb, got "memcached"',
    ]);
    const config = loadConfig({
      NODE_ENV: 'test',
      FACEGATE_SHARED_STATE: 'redis',
      FACEGATE_REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
      FACEGATE_REDIS_PREFIX: 'site-a:',
    });
    expect(config.sharedState).toMatchObject({
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

  it("dynamodb needs a table of its own, on the store's DynamoDB endpoint and region", () => {
    expect(problems({ FACEGATE_SHARED_STATE: 'dynamodb' })).toEqual([
      'FACEGATE_SHARED_STATE_TABLE is required when FACEGATE_SHARED_STATE=dynamodb',
    ]);
    expect(problems({ FACEGATE_SHARED_STATE: 'dynamodb', FACEGATE_SHARED_STATE_TABLE: 'a b' })).toEqual([
      'FACEGATE_SHARED_STATE_TABLE must be a DynamoDB table name (3-255 letters, digits or _ . -)',
    ]);
    const store = { FACEGATE_STORE: 'dynamodb', FACEGATE_DYNAMODB_TABLE: 'facegate' };
    expect(
      problems({ ...store, FACEGATE_SHARED_STATE: 'dynamodb', FACEGATE_SHARED_STATE_TABLE: 'facegate' }),
    ).toEqual([
      "FACEGATE_SHARED_STATE_TABLE must be a table of its own, not the store's FACEGATE_DYNAMODB_TABLE (create it with the CDK stack, or ensureSharedStateTable for a local server)",
    ]);
    const config = loadConfig({
      NODE_ENV: 'test',
      ...store,
      FACEGATE_SHARED_STATE: 'dynamodb',
      FACEGATE_SHARED_STATE_TABLE: 'facegate-state',
      FACEGATE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.sharedState).toMatchObject({
      kind: 'dynamodb',
      dynamodb: { table: 'facegate-state', endpoint: 'http://127.0.0.1:8000', region: 'eu-west-1' },
    });
    expect(sharedStateWarnings(config)).toEqual([]);
  });

  it('warns about per-instance state on DynamoDB, and about a state table set for another kind', () => {
    const store = { FACEGATE_STORE: 'dynamodb', FACEGATE_DYNAMODB_TABLE: 'facegate' };
    expect(sharedStateWarnings(loadConfig({ NODE_ENV: 'test', ...store }))).toEqual([
      'FACEGATE_STORE=dynamodb with FACEGATE_SHARED_STATE=local: challenges, rate limits and the kiosk throttle stay in this process (each Lambda instance counts alone); set FACEGATE_SHARED_STATE=dynamodb',
    ]);
    const redis = { FACEGATE_SHARED_STATE: 'redis', FACEGATE_REDIS_URL: 'redis://127.0.0.1:6379' };
    const config = loadConfig({ NODE_ENV: 'test', ...redis, FACEGATE_SHARED_STATE_TABLE: 'facegate-state' });
    expect(sharedStateWarnings(config)).toEqual([
      'FACEGATE_SHARED_STATE_TABLE is ignored unless FACEGATE_SHARED_STATE=dynamodb',
    ]);
    const dynamo = loadConfig({
      NODE_ENV: 'test',
      FACEGATE_SHARED_STATE: 'dynamodb',
      FACEGATE_SHARED_STATE_TABLE: 'facegate-state',
      FACEGATE_REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(sharedStateWarnings(dynamo)).toEqual([
      'FACEGATE_REDIS_URL is ignored unless FACEGATE_SHARED_STATE=redis',
    ]);
  });
});
