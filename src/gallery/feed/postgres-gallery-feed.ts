import pg from 'pg';
import { FacegateError } from '../../domain/errors.js';
import type { Store } from '../../store/store.port.js';
import type { Gallery } from '../gallery.js';
import { GalleryChangeApplier } from './gallery-change-applier.js';
import type { FeedStatus, GalleryFeed } from './gallery-feed.port.js';

/** The channel the change-log trigger notifies; the payload is the schema that changed. */
export const GALLERY_CHANNEL = 'facegate_gallery';

/** Options of {@link PostgresGalleryFeed}. */
export interface PostgresGalleryFeedOptions {
  /** The store's database (`FACEGATE_DATABASE_URL`); the feed opens one connection of its own. */
  connectionString: string;
  /** The store's schema, when it is not the server's default search path. */
  schema?: string;
  /** Longest time the gallery may go without a confirmed catch-up before the node is not ready (1 s). */
  maxLagMs?: number;
  /** Catch-up period even without notifications: proves the feed is alive (default maxLagMs / 4). */
  pollMs?: number;
  /** First pause before reconnecting; doubles up to 2 s (default 100 ms). */
  reconnectDelayMs?: number;
  /** Changes kept in the log for nodes that reconnect (24 h); older ones are trimmed by any node. */
  retentionMs?: number;
  /** How often this node trims the log (1 h). */
  trimIntervalMs?: number;
  /** `application_name` of the feed's connection, as `pg_stat_activity` shows it (default `facegate-gallery-feed`). */
  applicationName?: string;
  /** Called with errors the feed recovers from (lost connection, failed catch-up), for the log. */
  onError?: (error: unknown) => void;
  now?: () => number;
}

const BATCH = 1000;

/**
 * Gallery feed on PostgreSQL: triggers write every gallery-relevant change to `gallery_changes` (sequence numbers
 * in commit order) and NOTIFY at commit. The feed LISTENs on its own connection and catches up from its last
 * sequence on each notification and every `pollMs`; after a reconnect it catches up the same way, or rebuilds
 * the gallery when the log was trimmed past its position. Each catch-up that completes proves the gallery held
 * every change committed before it started; the node is ready only while that proof is younger than `maxLagMs`.
 */
export class PostgresGalleryFeed implements GalleryFeed {
  readonly kind = 'postgres';
  private readonly applier: GalleryChangeApplier;
  private readonly maxLagMs: number;
  private readonly now: () => number;
  private client: pg.Client | undefined;
  private schema = '';
  private lastSeq = 0;
  private freshAt = Number.NEGATIVE_INFINITY;
  private catchingUp: Promise<void> | undefined;
  private again = false;
  private resyncing = false;
  private stopped = false;
  /** Set once the initial position is known: catch-ups before it would replay the whole log. */
  private running = false;
  private counters = { reconnects: 0, resyncs: 0 };
  private failure: string | undefined = 'not started';
  private timers: NodeJS.Timeout[] = [];
  private reconnectDelay: number;

  constructor(
    private readonly gallery: Gallery,
    store: Pick<Store, 'employees' | 'templates'>,
    private readonly options: PostgresGalleryFeedOptions,
  ) {
    this.applier = new GalleryChangeApplier(gallery, store);
    this.maxLagMs = options.maxLagMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.reconnectDelay = options.reconnectDelayMs ?? 100;
  }

  /** Connects and LISTENs, notes the log's position, loads the gallery, then catches up from that position. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      const client = await this.connect();
      const started = this.now();
      this.lastSeq = await this.maxSeq(client);
      await this.gallery.load();
      this.running = true;
      await this.catchUp(started);
    } catch (error) {
      await this.stop();
      throw error;
    }
    const poll = this.options.pollMs ?? Math.max(50, Math.floor(this.maxLagMs / 4));
    this.every(poll, () => this.requestCatchUp());
    this.every(this.options.trimIntervalMs ?? 3_600_000, () => this.trimQuietly());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.catchingUp?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.failure = 'stopped';
  }

  status(): FeedStatus {
    const lagMs = Math.max(0, this.now() - this.freshAt);
    const reason = this.notReadyReason(lagMs);
    return {
      ready: reason === undefined,
      lagMs: Number.isFinite(lagMs) ? lagMs : -1,
      ...(reason ? { reason } : {}),
      lastSeq: this.lastSeq,
      ...this.counters,
    };
  }

  assertFresh(): void {
    const status = this.status();
    if (status.ready) return;
    throw new FacegateError('NOT_READY', 'Gallery may be out of date on this node; retry shortly', {
      reason: status.reason,
      retryAfterSeconds: 1,
    });
  }

  /** Deletes changes older than the retention and moves the horizon, so late nodes know to resync. */
  async trim(retentionMs = this.options.retentionMs ?? 86_400_000): Promise<number> {
    const client = this.client;
    if (!client) return 0;
    const cutoff = new Date(this.now() - retentionMs).toISOString();
    const { rows } = await client.query<{ trimmed: string | null; n: string }>(
      `WITH gone AS (DELETE FROM gallery_changes WHERE at < $1 RETURNING seq),
            top AS (SELECT max(seq) AS trimmed, count(*) AS n FROM gone),
            moved AS (UPDATE gallery_change_horizon SET trimmed_through = greatest(trimmed_through, top.trimmed)
                      FROM top WHERE top.trimmed IS NOT NULL)
       SELECT trimmed, n FROM top`,
      [cutoff],
    );
    return Number(rows[0]?.n ?? 0);
  }

  private notReadyReason(lagMs: number): string | undefined {
    if (this.failure) return this.failure;
    if (this.resyncing) return 'rebuilding the gallery from the store';
    if (lagMs > this.maxLagMs) return `gallery feed silent for ${Math.round(lagMs)} ms`;
    return undefined;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      options: this.options.schema ? `-c search_path=${this.options.schema}` : undefined,
      connectionTimeoutMillis: 3000,
      application_name: this.options.applicationName ?? 'facegate-gallery-feed',
      keepAlive: true,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === GALLERY_CHANNEL && message.payload === this.schema) this.requestCatchUp();
    });
    await client.connect();
    this.schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? '';
    await client.query(`LISTEN ${GALLERY_CHANNEL}`);
    this.client = client;
    return client;
  }

  /** The connection dropped: not ready at once (notifications may be missed), then reconnect with backoff. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    this.failure = 'gallery feed connection lost';
    this.options.onError?.(error);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const timer = setTimeout(() => void this.reconnect(), this.reconnectDelay);
    timer.unref();
    this.reconnectDelay = Math.min(2000, this.reconnectDelay * 2);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      const started = this.now();
      await this.connect();
      this.counters.reconnects++;
      this.reconnectDelay = this.options.reconnectDelayMs ?? 100;
      // LISTEN is active again, so anything committed from now on is notified; the catch-up covers the gap, and
      // the node stays not ready until it is done.
      await this.catchUp(started);
    } catch (error) {
      this.options.onError?.(error);
      if (!this.client) this.scheduleReconnect();
    }
  }

  /** Runs one catch-up at a time; a request during one runs another right after it. */
  private requestCatchUp(): void {
    if (!this.running) return;
    if (this.catchingUp) {
      this.again = true;
      return;
    }
    this.catchUp(this.now()).catch((error: unknown) => this.options.onError?.(error));
  }

  private async catchUp(started: number): Promise<void> {
    if (this.catchingUp) {
      this.again = true;
      return this.catchingUp;
    }
    this.catchingUp = this.drain(started).finally(() => {
      this.catchingUp = undefined;
    });
    await this.catchingUp;
    if (this.again && !this.stopped) {
      this.again = false;
      await this.catchUp(this.now());
    }
  }

  /** Applies every change after `lastSeq`; once the log is drained, the gallery is fresh as of `started`. */
  private async drain(started: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    for (;;) {
      const { rows } = await client.query<{ seq: string; employee_id: string }>(
        'SELECT seq, employee_id FROM gallery_changes WHERE seq > $1 ORDER BY seq LIMIT $2',
        [this.lastSeq, BATCH],
      );
      // Read after the changes: a trim that removed some of them before the read has moved the horizon by now.
      if ((await this.horizon(client)) > this.lastSeq) {
        await this.resync(client);
        continue;
      }
      const employees = [...new Set(rows.map((r) => r.employee_id))];
      for (const id of employees) await this.applier.reloadEmployee(id);
      const last = rows.at(-1);
      if (last) this.lastSeq = Number(last.seq);
      if (rows.length < BATCH) break;
    }
    // Only a drain on the live connection proves anything: one on a connection that dropped may have missed a
    // notification after its last query.
    if (this.client !== client) return;
    this.freshAt = Math.max(this.freshAt, started);
    this.failure = undefined;
  }

  private async resync(client: pg.Client): Promise<void> {
    this.resyncing = true;
    try {
      const position = await this.maxSeq(client);
      await this.applier.resync();
      this.lastSeq = position;
      this.counters.resyncs++;
    } finally {
      this.resyncing = false;
    }
  }

  private async maxSeq(client: pg.Client): Promise<number> {
    const { rows } = await client.query<{ m: string | null }>('SELECT max(seq) AS m FROM gallery_changes');
    return Math.max(Number(rows[0]?.m ?? 0), await this.horizon(client));
  }

  private async horizon(client: pg.Client): Promise<number> {
    const { rows } = await client.query<{ t: string }>(
      'SELECT trimmed_through AS t FROM gallery_change_horizon',
    );
    return Number(rows[0]?.t ?? 0);
  }

  private trimQuietly(): void {
    this.trim().catch((error: unknown) => this.options.onError?.(error));
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
