import type { FacegateConfig } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';
import type { Store } from '../../store/store.port.js';
import type { Gallery } from '../gallery.js';
import type { GalleryFeed } from './gallery-feed.port.js';
import { LocalGalleryFeed } from './local-gallery-feed.js';
import { PostgresGalleryFeed, type PostgresGalleryFeedOptions } from './postgres-gallery-feed.js';

/**
 * The gallery feed for the configured store: PostgreSQL follows the shared change log, SQLite needs none.
 * `extra` passes the feed's tuning and its error logger.
 */
export function createGalleryFeed(
  config: Pick<FacegateConfig, 'store'>,
  gallery: Gallery,
  store: Pick<Store, 'employees' | 'templates'>,
  extra: Omit<PostgresGalleryFeedOptions, 'connectionString'> = {},
): GalleryFeed {
  if (config.store.kind !== 'postgres') return new LocalGalleryFeed(gallery);
  if (!config.store.postgresUrl) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres',
    );
  }
  return new PostgresGalleryFeed(gallery, store, { ...extra, connectionString: config.store.postgresUrl });
}
