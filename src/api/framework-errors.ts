import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ERROR_STATUS, type ErrorCode, FacegateError } from '../domain/errors.js';
import { errorHandler } from './http-errors.js';

/** Security headers copied onto replies Fastify writes before any hook ran (bad URLs, over-long parameters). */
const SECURITY_HEADER_NAMES = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
] as const;

/** Headers every reply carries, captured from a real reply once the server is ready. */
export class SecurityHeaders {
  private headers: Record<string, string> = {
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'cross-origin-resource-policy': 'same-origin',
  };

  /** Takes the security headers helmet wrote on `sample` as the set to copy. */
  capture(sample: Record<string, string | string[] | number | undefined>): void {
    const captured: Record<string, string> = {};
    for (const name of SECURITY_HEADER_NAMES) {
      const value = sample[name];
      if (value !== undefined) captured[name] = String(value);
    }
    if (Object.keys(captured).length > 0) this.headers = captured;
  }

  /** The header set, to apply to a reply or write to a raw socket. */
  get all(): Readonly<Record<string, string>> {
    return this.headers;
  }
}

/** Maps errors Fastify raises before routing (bad URL, parameter too long, async constraint) to the one shape. */
export function frameworkErrorHandler(headers: SecurityHeaders) {
  return (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(headers.all);
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    const mapped =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new FacegateError('URI_TOO_LONG', 'A path parameter is too long')
        : new FacegateError('VALIDATION_FAILED', 'Malformed URL');
    errorHandler(mapped, request, reply);
  };
}

/** The `clientErrorHandler` option: malformed or timed-out requests, answered on the raw socket in the one shape. */
export function clientErrorHandler(headers: SecurityHeaders, log: () => FastifyBaseLogger | undefined) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'VALIDATION_FAILED';
    const status = ERROR_STATUS[code];
    const requestId = randomUUID();
    const message = code === 'REQUEST_TIMEOUT' ? 'The request did not arrive in time' : 'Malformed request';
    log()?.info({ code, requestId, err: error }, 'request refused');
    const body = JSON.stringify({ error: { code, message, requestId } });
    const lines = [
      `HTTP/1.1 ${status} ${code === 'REQUEST_TIMEOUT' ? 'Request Timeout' : 'Bad Request'}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'cache-control: no-store',
      'connection: close',
      ...Object.entries(headers.all).map(([name, value]) => `${name}: ${value}`),
    ];
    if (socket.writable) socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    socket.destroy(error);
  };
}

/** Routes by path pattern, to answer `405` with `Allow` when a known path is called with another method. */
export class MethodTable {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** Records a route (the `onRoute` hook). */
  add(route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let known = this.byUrl.get(route.url);
    if (!known) {
      known = new Set();
      this.byUrl.set(route.url, known);
      this.routes.push({ pattern: patternOf(route.url), methods: known });
    }
    for (const method of methods) known.add(method.toUpperCase());
  }

  /** Methods of the routes matching `path`, sorted; empty when none does. */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const route of this.routes) {
      if (route.pattern.test(path)) for (const method of route.methods) found.add(method);
    }
    return [...found].sort();
  }
}

/** A find-my-way style pattern (`:param`, trailing `*`) as an anchored regular expression. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The not-found handler: `405 METHOD_NOT_ALLOWED` with `Allow` when the path exists with other methods,
 * `404 NOT_FOUND` otherwise.
 */
export function notFoundHandler(table: MethodTable) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const refused = methodNotAllowed(table, request);
    if (refused) reply.header('allow', refused.allowed);
    return errorHandler(refused?.error ?? new FacegateError('NOT_FOUND', 'Not found'), request, reply);
  };
}

/**
 * Records every route in `table` (call before any route is registered), and answers `405` for a known path
 * called with another method before its body is read (a `QUERY` with no body must not be a parse error).
 */
export function recordRoutes(app: FastifyInstance, table: MethodTable): void {
  app.addHook('onRoute', (route) => table.add(route));
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const error = methodNotAllowed(table, request);
    if (error) {
      reply.header('allow', error.allowed);
      throw error.error;
    }
  });
}

function methodNotAllowed(
  table: MethodTable,
  request: FastifyRequest,
): { error: FacegateError; allowed: string } | undefined {
  const allowed = table.allowed(request.url.split('?')[0] ?? '/');
  if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
  const list = allowed.join(', ');
  return {
    allowed: list,
    error: new FacegateError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${list}`),
  };
}
