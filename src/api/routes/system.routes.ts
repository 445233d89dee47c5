import { createHash, timingSafeEqual } from 'node:crypto';
import { type Static, Type } from 'typebox';
import { FacegateError } from '../../domain/errors.js';
import { ErrorBody } from '../schemas/common.schema.js';
import type { RouteDeps, TypedApp } from './route-types.js';

/** `/healthz`, `/readyz` (public) and `/metrics` (bearer token), outside `/v1`. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function systemRoutes(app: TypedApp, { ctx, metrics }: RouteDeps): void {
  let engineReady = false;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  ctx.engine.load().then(
    () => {
      engineReady = true;
    },
    // A shutdown during start-up aborts loading; only a failure of a running server is worth an error line.
    (error: unknown) => {
      if (!closing) app.log.error({ err: error }, 'engine failed to load');
    },
  );

  app.get(
    '/healthz',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['system'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: models loaded, store and shared state reachable, gallery fresh',
        response: { 200: ReadyBody, 503: ErrorBody },
      },
    },
    async () => {
      if (!engineReady) throw new FacegateError('NOT_READY', 'Face models are still loading');
      return readiness(ctx);
    },
  );

  registerMetricsRoute(app, metrics, ctx.config.operations.metricsToken);
}

/**
 * `/metrics` only for a caller with `Authorization: Bearer <FACEGATE_METRICS_TOKEN>`; without a configured token
 * the route does not exist (404). Metrics reveal traffic, failure rates and the impostor alarm.
 */
function registerMetricsRoute(app: TypedApp, metrics: RouteDeps['metrics'], token: string | undefined): void {
  if (token === undefined) return;
  const expected = digest(token);
  app.get(
    '/metrics',
    {
      config: { auth: 'none', rateLimit: false },
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (Authorization: Bearer <FACEGATE_METRICS_TOKEN>)',
        hide: false,
      },
      onRequest: async (request) => {
        const match = /^Bearer\s+(\S{1,512})$/i.exec(request.headers.authorization?.trim() ?? '');
        // Equal-length digests, compared in constant time: the answer time says nothing about the token.
        if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
          throw new FacegateError('UNAUTHENTICATED', 'Metrics need the metrics bearer token');
        }
      },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

const ReadyBody = Type.Object({
  status: Type.Literal('ready'),
  engine: Type.String(),
  dependencies: Type.Object({
    store: Type.Literal('ok'),
    sharedState: Type.String({ description: '`memory`, `redis` or `dynamodb`: reachable' }),
    galleryFeed: Type.Object({
      kind: Type.String(),
      lagMs: Type.Number(),
      lastSeq: Type.Number(),
      reconnects: Type.Number(),
      resyncs: Type.Number(),
    }),
  }),
});

/** Checks each dependency in turn; the first that fails makes the node not ready (503), naming it. */
async function readiness(ctx: RouteDeps['ctx']): Promise<Static<typeof ReadyBody>> {
  const reach = async (what: string, probe: () => Promise<void>) => {
    try {
      await probe();
    } catch (error) {
      throw new FacegateError('NOT_READY', `${what} unreachable`, { dependency: what }, { cause: error });
    }
  };
  await reach('Store', () => ctx.store.ping());
  const shared = ctx.sharedState;
  if (shared) await reach('Shared state', () => shared.ping());
  const feed = ctx.galleryFeed?.status() ?? { ready: true, lagMs: 0, lastSeq: 0, reconnects: 0, resyncs: 0 };
  if (!feed.ready) {
    throw new FacegateError('NOT_READY', `Gallery not fresh: ${feed.reason ?? 'feed behind'}`, {
      dependency: 'galleryFeed',
    });
  }
  return {
    status: 'ready',
    engine: `${ctx.engine.info.model}@${ctx.engine.info.version}`,
    dependencies: {
      store: 'ok',
      sharedState: shared?.kind ?? 'memory',
      galleryFeed: {
        kind: ctx.galleryFeed?.kind ?? 'local',
        lagMs: Math.round(feed.lagMs),
        lastSeq: feed.lastSeq,
        reconnects: feed.reconnects,
        resyncs: feed.resyncs,
      },
    },
  };
}
