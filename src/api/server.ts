import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import AjvCompiler from '@fastify/ajv-compiler';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { FacegateConfig } from '../config/config.js';
import { fastifyTrustProxy } from '../config/trust-proxy.js';
import { FacegateError } from '../domain/errors.js';
import { rateLimitStoreOptions } from '../shared-state/rate-limit-store.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { ApiContext } from './api-context.js';
import { registerLoopDelayGate } from './event-loop-gate.js';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  MethodTable,
  notFoundHandler,
  recordRoutes,
  SecurityHeaders,
} from './framework-errors.js';
import { errorHandler } from './http-errors.js';
import { ImageGate } from './image-gate.js';
import { ApiMetrics } from './metrics.js';
import { documentRoute } from './openapi-document.js';
import { registerRequestAuth } from './request-auth.js';
import { accessRoutes } from './routes/access.routes.js';
import { adminRoutes } from './routes/admin.routes.js';
import { employeeRoutes, MAX_PHOTOS_PER_REQUEST } from './routes/employee.routes.js';
import { enrolRoutes, invitationRoutes } from './routes/enrolment.routes.js';
import { faceRoutes } from './routes/face.routes.js';
import { kioskRoutes } from './routes/kiosk.routes.js';
import { livenessRoutes } from './routes/liveness.routes.js';
import { mfaRoutes } from './routes/mfa.routes.js';
import type { RouteDeps, TypedApp } from './routes/route-types.js';
import { systemRoutes } from './routes/system.routes.js';
import { templateRoutes } from './routes/template.routes.js';
import { uploadRoutes } from './routes/upload.routes.js';

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
  /**
   * Event-loop delay (ms, as `event-loop-gate.ts` reads it) beyond which requests get `503 OVERLOADED`
   * (default {@link MAX_EVENT_LOOP_DELAY_MS}); 0 turns the check off.
   */
  maxEventLoopDelayMs?: number;
  /**
   * How long a request (headers and body) may take to arrive before `408 REQUEST_TIMEOUT` closes the
   * connection (default {@link REQUEST_TIMEOUT_MS}; tests shorten it).
   */
  requestTimeoutMs?: number;
  /** Told the outcome of every face-login decision (the Lambda function writes a CloudWatch metric line). */
  onDecision?: (outcome: string) => void;
}

/** The event-loop delay beyond which requests are refused, unless the options say otherwise. */
export const MAX_EVENT_LOOP_DELAY_MS = 2000;

/** How long a request may take to arrive: slow uploads (slowloris) cannot hold a connection for long. */
export const REQUEST_TIMEOUT_MS = 120_000;

/** Node checks request timeouts at this interval at most (its default); shorter for shorter timeouts. */
const TIMEOUT_CHECK_MS = 30_000;
/** How long the headers alone may take (Node's default), never more than the whole request. */
const HEADERS_TIMEOUT_MS = 60_000;

/** Headers never written to logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

/**
 * Path segments that are bearer secrets (invitation links, welcome-photo links): whoever reads the log could
 * otherwise use them, so the request line is logged with the segment masked.
 */
const SECRET_PATH_SEGMENT = /(\/(?:enrol|welcome-photo)\/)[^/?#]+/g;

/** The request as logged: Fastify's default fields, with secret path segments masked. */
export function logRequest(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url.replace(SECRET_PATH_SEGMENT, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Routes outside the per-caller rate limit. */
const UNLIMITED_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/v1/.well-known/jwks.json',
  '/docs/json',
  '/docs/yaml',
]);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the HTTP server: security headers, CORS (off unless configured), rate limits, backpressure, body limits,
 * multipart and raw image uploads, OpenAPI at `/docs`, authentication, every `/v1` route, `/healthz`, `/readyz`,
 * `/metrics`, then the web UI. Not listening yet.
 */
export async function buildServer(ctx: ApiContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const securityHeaders = new SecurityHeaders();
  const app = createFastify(config, options, securityHeaders);
  const methods = new MethodTable();
  installReplyDefaults(app, methods);
  await registerHelmet(app, config);
  // After helmet, so that a 405 answered from onRequest carries the security headers.
  recordRoutes(app as unknown as FastifyInstance, methods);
  await registerCors(app, config.security.corsOrigins);
  await registerLimits(app, config, options, ctx.sharedState);
  await registerBodyParsers(app, config);
  await registerOpenApi(app);
  registerRequestAuth(app, ctx.auth, ctx.policy);
  registerRoutes(app, ctx, options);
  if (options.web) await app.register(options.web);

  await app.ready();
  await captureSecurityHeaders(app, securityHeaders);
  return app as unknown as FastifyInstance;
}

type ServerApp = ReturnType<typeof createFastify>;

/** The Fastify instance: logger with redaction, body limit, timeouts, request ids, validation options. */
function createFastify(config: FacegateConfig, options: ServerOptions, securityHeaders: SecurityHeaders) {
  let logger: FastifyBaseLogger | undefined;
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const serverOptions: FastifyHttpOptions<Server> = {
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: logRequest },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: JSON_BODY_LIMIT,
    // Slow uploads (slowloris) cannot hold a connection, or a graceful shutdown, for long.
    requestTimeout,
    http: {
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, Math.ceil(requestTimeout / 4)),
      // Node checks neither timeout while the headers' one (default 60 s) exceeds the request's.
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    },
    trustProxy: fastifyTrustProxy(config.security.trustProxy),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    schemaController: { compilersFactory: { buildValidator: strictBodyValidators() } },
    frameworkErrors: frameworkErrorHandler(securityHeaders),
    clientErrorHandler: clientErrorHandler(securityHeaders, () => logger),
    return503OnClosing: true,
  };
  const app = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>();
  logger = app.log;
  return app;
}

/**
 * Validators that never convert JSON body types (`{"firstName": false}` is a 400, not "false"); query strings,
 * params and headers are text and keep the configured coercion.
 */
function strictBodyValidators(): AjvCompiler.BuildCompilerFromPool {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options);
    const strict = pool(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    } as typeof options);
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
}

/** Copies helmet's headers of a real reply, for the replies Fastify writes before any hook runs. */
async function captureSecurityHeaders(app: ServerApp, headers: SecurityHeaders): Promise<void> {
  const sample = await app.inject({ method: 'GET', url: '/healthz' });
  headers.capture(sample.headers);
}

/** Error and not-found handlers, request id, cache and keep-alive headers of every reply. */
function installReplyDefaults(app: ServerApp, methods: MethodTable): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler(methods));
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

/**
 * The CSP of every answer that does not set its own (JSON, errors): nothing may load, nothing may frame it.
 * Without `useDefaults: false` helmet would merge in its page defaults (`style-src https: 'unsafe-inline'`…).
 */
const API_CSP_DIRECTIVES = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] };

/** Security headers. */
async function registerHelmet(app: ServerApp, config: FacegateConfig): Promise<void> {
  await app.register(fastifyHelmet, {
    // The web plugin and Swagger UI set their own page CSPs; the API answers JSON with this strict default.
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP_DIRECTIVES },
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
  registerLoopDelayGate(
    app as unknown as FastifyInstance,
    options.maxEventLoopDelayMs ?? MAX_EVENT_LOOP_DELAY_MS,
  );
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    ...(sharedState ? rateLimitStoreOptions(sharedState) : {}),
    global: true,
    max: config.security.rateLimitPerMinute,
    timeWindow: 60_000,
    // `onRequest`, before the body is read or validated: invalid and oversized requests count too. The hook is a
    // route hook, so it runs after the authentication hook: limits apply per API key / user, per IP otherwise.
    hook: 'onRequest',
    // Health checks, the JWKS and the OpenAPI document are cheap and polled by machines (load balancers, door
    // controllers, client generators): never limited per IP.
    allowList: (request) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? ''),
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
  refuseUploadsOutsideImageRoutes(app);
  app.addContentTypeParser(
    /^(image\/[\w.+-]+|application\/octet-stream)$/i,
    { parseAs: 'buffer', bodyLimit: config.engine.maxImageBytes },
    (_request, body, done) => done(null, body),
  );
}

/** Content types that only image routes read (raw image bodies and multipart uploads). */
const UPLOAD_TYPES = /^\s*(image\/|application\/octet-stream|multipart\/form-data)/i;

/**
 * Image and multipart bodies are read only by the image routes (those with `config.imageWork`); anywhere else
 * they are refused with `415` in `onRequest`, before a byte of the body is read, so a 15 MB upload to
 * `/v1/auth/login` costs the server nothing.
 */
function refuseUploadsOutsideImageRoutes(app: ServerApp): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.imageWork) return;
    const type = request.headers['content-type'];
    if (type !== undefined && UPLOAD_TYPES.test(type)) {
      throw new FacegateError('UNSUPPORTED_MEDIA_TYPE', 'This route does not take image uploads');
    }
  });
}

/** The OpenAPI document and Swagger UI at `/docs`. */
async function registerOpenApi(app: ServerApp): Promise<void> {
  await app.register(fastifySwagger, {
    transform: documentRoute,
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
  const metrics = new ApiMetrics(options.onDecision);
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
  uploadRoutes(typed, deps);
  employeeRoutes(typed, deps);
  accessRoutes(typed, deps);
  adminRoutes(typed, deps);
  templateRoutes(typed, deps);
  kioskRoutes(typed, deps);
  mfaRoutes(typed, deps);
  livenessRoutes(typed, deps);
  invitationRoutes(typed, deps);
  enrolRoutes(typed, deps);
}
