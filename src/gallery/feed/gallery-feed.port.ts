/** How fresh a node's gallery is, for readiness and for the identification path. */
export interface FeedStatus {
  /** False while the gallery may miss changes made on other nodes for longer than the bound. */
  ready: boolean;
  /** Milliseconds since the last moment the gallery was known to hold every committed change. */
  lagMs: number;
  /** Why the feed is not ready (absent when ready). */
  reason?: string;
  /** Highest change applied (0 before the first; always 0 on the local feed). */
  lastSeq: number;
  reconnects: number;
  resyncs: number;
}

/**
 * Keeps this node's in-memory gallery in step with changes made on every node (enrol, delete, suspend,
 * reactivate, template upgrade). `start` loads the gallery itself: call it instead of `gallery.load()`.
 */
export interface GalleryFeed {
  readonly kind: 'local' | 'postgres';
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): FeedStatus;
  /**
   * Throws `NOT_READY` (503) when the gallery may be stale beyond the bound: call it before every 1:N or 1:1
   * match, so a node cut off from the others refuses rather than matches a deleted or suspended employee.
   */
  assertFresh(): void;
}
