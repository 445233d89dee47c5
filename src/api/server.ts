import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyUnderPressure from '@fastify/under-pressure';
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifySchema,
  type FastifyServerOptions,
} from 'fastify';
import type { FacegateConfig } from '../config/config.js';
import { fastifyTrustProxy } from '../config/trust-proxy.js';
import { FacegateError } from '../domain/errors.js';
import { rateLimitStoreOptions } from '../shared-state/rate-limit-store.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { ApiContext } from './api-context.js';
import { errorHandler } from './http-errors.js';
import { ImageGate } from './image-gate.js';
import { ApiMetrics } from './metrics.js';
import { registerRequestAuth } from './request-auth.js';
import { accessRoutes } from './routes/access.routes.js';
import { adminRoutes } from './routes/admin.routes.js';
import { employeeRoutes, MAX_PHOTOS_PER_REQUEST } from './routes/employee.routes.js';
import { faceRoutes } from './routes/face.routes.js';
import { kioskRoutes } from './routes/kiosk.routes.js';
import type { RouteDeps, TypedApp } from './routes/route-types.js';
import { systemRoutes } from './routes/system.routes.js';
import { templateRoutes } from './routes/template.routes.js';

/** Largest JSON body accepted. */
export const JSON_BODY_LIMIT = 256 * 1024;

/** Options of {@link buildServer}. */
export interface ServerOptions {
  /** Pino logger options, or false for none (defaults to the config's level, with redaction). */
  logger?: FastifyServerOptions['logger'];
  /** Where the default logger writes (tests capture it); stdout otherwise. */
  logStream?: NodeJS.WritableStream;
  /** The web UI plugin (kiosk + admin pages), registered last. */
  web?: FastifyPluginAsync;
  /** Concurrent image analyses before `503 OVERLOADED` (default: max(8, 4 × engine workers)). */
  maxImagesInFlight?: number;
  /** Event-loop delay (ms) beyond which requests get `503 OVERLOADED`. */
  maxEventLoopDelayMs?: number;
}

/** Headers never written to logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const PHOTO = { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP photo' };
/** Multipart bodies of the image routes, for the OpenAPI document only (the routes parse them themselves). */
const IMAGE_UPLOADS: Record<string, Record<string, unknown>> = {
  '/v1/authenticate': { photo: PHOTO },
  '/v1/verify': { employee: { type: 'string', description: 'Employee id or badge' }, photo: PHOTO },
  '/v1/employees/:id/faces': { photos: { type: 'array', items: PHOTO, maxItems: MAX_PHOTOS_PER_REQUEST } },
  '/v1/employees/enroll': {
    badge: { type: 'string' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    email: { type: 'string' },
    department: { type: 'string' },
    role: { type: 'string' },
    photos: { type: 'array', items: PHOTO, maxItems: MAX_PHOTOS_PER_REQUEST },
  },
};

function documentImageUploads({ schema, url }: { schema: FastifySchema; url: string }) {
  const fields = IMAGE_UPLOADS[url];
  if (!fields || !schema) return { schema, url };
  return {
    url,
    schema: {
      ...schema,
      consumes: ['multipart/form-data'],
      body: { type: 'object', properties: fields },
    } as FastifySchema,
  };
}

/**
 * Builds the HTTP server: security headers, CORS (off unless configured), rate limits, backpressure, body limits,
 * multipart and raw image uploads, OpenAPI at `/docs`, authentication, every `/v1` route, `/healthz`, `/readyz`,
 * `/metrics`, then the web UI. Not listening yet.
 */
export async function buildServer(ctx: ApiContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = createFastify(config, options);
  installReplyDefaults(app);
  await registerHelmet(app, config);
  await registerCors(app, config.security.corsOrigins);
  await registerLimits(app, config, options, ctx.sharedState);
  await registerBodyParsers(app, config);
  await registerOpenApi(app);
  registerRequestAuth(app, ctx.auth, ctx.policy);
  registerRoutes(app, ctx, options);
  if (options.web) await app.register(options.web);

  await app.ready();
  return app as unknown as FastifyInstance;
}

type ServerApp = ReturnType<typeof createFastify>;

/** The Fastify instance: logger with redaction, body limit, timeouts, request ids, validation options. */
function createFastify(config: FacegateConfig, options: ServerOptions) {
  return Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: JSON_BODY_LIMIT,
    // Slow uploads (slowloris) cannot hold a connection, or a graceful shutdown, for long.
    requestTimeout: 120_000,
    trustProxy: fastifyTrustProxy(config.security.trustProxy),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
}

/** Error and not-found handlers, request id, cache and keep-alive headers of every reply. */
function installReplyDefaults(app: ServerApp): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    errorHandler(new FacegateError('NOT_FOUND', 'Not found'), request, reply),
  );
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Graceful shutdown: requests in flight finish, and their keep-alive connections close right after.
    if (closing) reply.header('connection', 'close');
    // API answers hold personal data and secrets (CSRF tokens, new keys): never cached unless a route says so.
    if (request.url.startsWith('/v1/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });
}

/** Security headers. */
async function registerHelmet(app: ServerApp, config: FacegateConfig): Promise<void> {
  await app.register(fastifyHelmet, {
    // The web plugin and Swagger UI set their own page CSPs; the API answers JSON with this strict default.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // HSTS only where TLS is expected; a development server on http://localhost must stay reachable.
    hsts: config.env === 'production',
  });
}

/**
 * CORS is off unless origins are listed; then exactly those, without credentials: browsers on other origins must
 * use bearer API keys, never the session cookie.
 */
async function registerCors(app: ServerApp, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(fastifyCors, {
    origin: [...origins],
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    maxAge: 600,
  });
}

/** Backpressure (event-loop delay), cookies, and rate limits per caller. */
async function registerLimits(
  app: ServerApp,
  config: FacegateConfig,
  options: ServerOptions,
  sharedState?: SharedState,
): Promise<void> {
  await app.register(fastifyUnderPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs ?? 2000,
    retryAfter: 5,
    pressureHandler: () => {
      throw new FacegateError('OVERLOADED', 'Server busy; retry shortly', { retryAfterSeconds: 5 });
    },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    ...(sharedState ? rateLimitStoreOptions(sharedState) : {}),
    global: true,
    max: config.security.rateLimitPerMinute,
    timeWindow: 60_000,
    // After authentication, so that limits apply per API key / user, and per IP for anonymous calls.
    hook: 'preHandler',
    keyGenerator: (request) =>
      request.actor ? `${request.actor.type}:${request.actor.id}` : `ip:${request.ip ?? 'unknown'}`,
    errorResponseBuilder: (_request, context) =>
      new FacegateError('RATE_LIMITED', 'Too many requests; slow down', {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
}

/** Multipart uploads and raw image bodies, both bounded by the engine's image size limit. */
async function registerBodyParsers(app: ServerApp, config: FacegateConfig): Promise<void> {
  await app.register(fastifyMultipart, {
    throwFileSizeLimit: true,
    limits: {
      fileSize: config.engine.maxImageBytes,
      files: MAX_PHOTOS_PER_REQUEST,
      fields: 10,
      fieldSize: 1024,
      parts: MAX_PHOTOS_PER_REQUEST + 10,
      headerPairs: 100,
    },
  });
  app.addContentTypeParser(
    /^(image\/[\w.+-]+|application\/octet-stream)$/i,
    { parseAs: 'buffer', bodyLimit: config.engine.maxImageBytes },
    (_request, body, done) => done(null, body),
  );
}

/** The OpenAPI document and Swagger UI at `/docs`. */
async function registerOpenApi(app: ServerApp): Promise<void> {
  await app.register(fastifySwagger, {
    transform: documentImageUploads,
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'facegate API',
        version: '1',
        description:
          'Face-recognition authentication for employees. Errors always have the shape ' +
          '`{ "error": { "code", "message", "requestId" } }` with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'API key `fg_<prefix>_<secret>` or session token `fgs_…` from POST /v1/auth/login',
          },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'fg_session' },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
}

/** The image-capacity gate, metrics and every `/v1` route. */
function registerRoutes(app: ServerApp, ctx: ApiContext, options: ServerOptions): void {
  const imageGate = new ImageGate(
    options.maxImagesInFlight ?? Math.max(8, 4 * Math.max(1, ctx.config.engine.workers)),
  );
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.imageWork) imageGate.assertCapacity();
  });
  const metrics = new ApiMetrics();
  metrics.install(app);
  metrics.watchImpostorAlarm(ctx.auth.kioskThrottle);

  const deps: RouteDeps = {
    ctx,
    metrics,
    imageGate,
  };
  const typed = app as unknown as TypedApp;
  systemRoutes(typed, deps);
  faceRoutes(typed, deps);
  employeeRoutes(typed, deps);
  accessRoutes(typed, deps);
  adminRoutes(typed, deps);
  templateRoutes(typed, deps);
  kioskRoutes(typed, deps);
}
