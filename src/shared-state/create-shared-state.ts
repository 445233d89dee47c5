import type { SharedStateSettings } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { MemorySharedState } from './memory-shared-state.js';
import { RedisSharedState } from './redis-shared-state.js';
import type { SharedState } from './shared-state.port.js';

/**
 * Opens the shared state the config names: memory for `local`, a checked Redis connection for `redis`, a checked
 * DynamoDB table for `dynamodb` (its module loaded only then).
 */
export async function createSharedState(settings: SharedStateSettings): Promise<SharedState> {
  if (settings.kind === 'local') return new MemorySharedState();
  if (settings.kind === 'dynamodb') return openDynamoState(settings.dynamodb);
  if (!settings.redisUrl) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_REDIS_URL is required when FACEGATE_SHARED_STATE=redis',
    );
  }
  return RedisSharedState.connect({ url: settings.redisUrl, keyPrefix: settings.redisPrefix });
}

async function openDynamoState({
  table,
  endpoint,
  region,
}: SharedStateSettings['dynamodb']): Promise<SharedState> {
  if (!table) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_SHARED_STATE_TABLE is required when FACEGATE_SHARED_STATE=dynamodb',
    );
  }
  const { DynamoSharedState } = await import('./dynamodb-shared-state.js');
  return DynamoSharedState.open({
    tableName: table,
    clientConfig: { region, ...(endpoint ? { endpoint } : {}) },
  });
}
