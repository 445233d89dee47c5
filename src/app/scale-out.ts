import type { FacegateConfig } from '../config/config.js';
import { sharedStateWarnings } from '../config/config.js';
import { createGalleryFeed } from '../gallery/feed/create-gallery-feed.js';
import type { GalleryFeed } from '../gallery/feed/gallery-feed.port.js';
import type { Gallery } from '../gallery/gallery.js';
import { IdentificationService } from '../services/identification.service.js';
import type { ServiceDeps, ServiceLogger } from '../services/service-context.js';
import { createSharedState } from '../shared-state/create-shared-state.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';

// The parts that let several nodes serve one install: state shared between nodes (lockout windows, rate limits,
// single-use items) and the feed that keeps every node's gallery in step with the others.

/** Opens the configured shared state (or takes a given one) and logs the configuration's warnings about it. */
export async function openSharedState(
  config: FacegateConfig,
  logger: ServiceLogger,
  given?: SharedState,
  now?: () => number,
): Promise<SharedState> {
  for (const warning of sharedStateWarnings(config))
    logger.warn({ sharedState: config.sharedState.kind }, warning);
  if (given) return given;
  // In one process, memory on the app's clock: tests expire liveness challenges by moving that clock.
  if (config.sharedState.kind === 'local') return new MemorySharedState(now ? { now } : {});
  return createSharedState(config.sharedState);
}

/**
 * Starts the gallery feed, which loads the gallery itself (PostgreSQL: then follows the change log). Returns the
 * feed and the load's statistics (the gallery's load is memoised, so asking again reads the same result).
 */
export async function startGalleryFeed(
  config: FacegateConfig,
  gallery: Gallery,
  store: Store,
  logger: ServiceLogger,
): Promise<{ feed: GalleryFeed; stats: Awaited<ReturnType<Gallery['load']>> }> {
  const feed = createGalleryFeed(config, gallery, store, {
    onError: (error) => logger.warn({ err: error }, 'gallery feed interrupted; catching up'),
  });
  await feed.start();
  try {
    return { feed, stats: await gallery.load() };
  } catch (error) {
    await feed.stop();
    throw error;
  }
}

/**
 * Identification that refuses (`503 NOT_READY`) on a node whose gallery may be stale beyond the feed's bound, so a
 * node cut off from the others never matches an employee deleted or suspended elsewhere.
 */
export class FreshIdentificationService extends IdentificationService {
  constructor(
    deps: ServiceDeps & { gallery: Gallery },
    private readonly feed: Pick<GalleryFeed, 'assertFresh'>,
  ) {
    super(deps);
  }

  override async identify(
    ...args: Parameters<IdentificationService['identify']>
  ): ReturnType<IdentificationService['identify']> {
    this.feed.assertFresh();
    return super.identify(...args);
  }

  override async verify(
    ...args: Parameters<IdentificationService['verify']>
  ): ReturnType<IdentificationService['verify']> {
    this.feed.assertFresh();
    return super.verify(...args);
  }
}
