import type { Gallery } from '../gallery.js';
import type { FeedStatus, GalleryFeed } from './gallery-feed.port.js';

/**
 * The single-node feed (SQLite): this node's services update its gallery as they write, so there is nothing to
 * follow and the gallery is always fresh once loaded.
 */
export class LocalGalleryFeed implements GalleryFeed {
  readonly kind = 'local';
  private started = false;

  constructor(private readonly gallery: Gallery) {}

  async start(): Promise<void> {
    await this.gallery.load();
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  status(): FeedStatus {
    return {
      ready: this.started,
      lagMs: 0,
      ...(this.started ? {} : { reason: 'gallery not loaded' }),
      lastSeq: 0,
      reconnects: 0,
      resyncs: 0,
    };
  }

  assertFresh(): void {}
}
