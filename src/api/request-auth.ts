import '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { looksLikeApiKey } from '../auth/api-key.service.js';
import type { AuthServices } from '../auth/auth-services.js';
import type { AuthenticatedActor, Permission, Policy } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { Session } from '../domain/models.js';

/** Name of the HttpOnly session cookie. */
export const SESSION_COOKIE = 'fg_session';
/** Header carrying the CSRF token on cookie-authenticated unsafe requests. */
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `none`: public; `optional`: actor when credentials are sent; `required` (default under /v1). */
    auth?: 'none' | 'optional' | 'required';
    /** Checked before the body is read (the service checks again). */
    permission?: Permission;
  }
  interface FastifyRequest {
    actor: AuthenticatedActor | null;
    /** The session behind a cookie or bearer session token. */
    session: Session | null;
    sessionToken: string | null;
    /** How the caller authenticated. */
    credential: 'api_key' | 'bearer_session' | 'cookie' | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Reads the bearer token of the Authorization header, if any. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S{1,512})$/i.exec(header.trim());
  if (!match?.[1]) throw new FacegateError('UNAUTHENTICATED', 'Malformed Authorization header');
  return match[1];
}

/**
 * Authenticates every request in `onRequest` (before the body is read): `Authorization: Bearer fg_…` API keys,
 * `Authorization: Bearer fgs_…` session tokens, or the session cookie with an `X-CSRF-Token` header on unsafe
 * methods. Then applies the route's `auth` mode and early permission check.
 */
export function registerRequestAuth(app: FastifyInstance, auth: AuthServices, policy: Policy): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('session', null);
  app.decorateRequest('sessionToken', null);
  app.decorateRequest('credential', null);

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const url = request.routeOptions.url ?? '';
    const mode = request.routeOptions.config?.auth ?? (url.startsWith('/v1/') ? 'required' : 'none');
    if (mode === 'none') return;
    const ip = request.ip ?? null;
    const bearer = bearerToken(request);
    if (bearer !== undefined) {
      if (looksLikeApiKey(bearer)) {
        request.actor = await auth.apiKeys.authenticate(bearer, ip);
        request.credential = 'api_key';
      } else {
        const active = await auth.sessions.resolve(bearer, ip);
        request.actor = active.actor;
        request.session = active.session;
        request.sessionToken = bearer;
        request.credential = 'bearer_session';
      }
    } else {
      const cookie = request.cookies?.[SESSION_COOKIE];
      if (cookie) {
        try {
          const active = await auth.sessions.resolve(cookie, ip);
          // Cookies ride along on cross-site requests; unsafe methods must prove same-origin with the CSRF token.
          if (!SAFE_METHODS.has(request.method)) {
            const header = request.headers[CSRF_HEADER];
            auth.sessions.checkCsrf(active.session, typeof header === 'string' ? header : undefined);
          }
          request.actor = active.actor;
          request.session = active.session;
          request.sessionToken = cookie;
          request.credential = 'cookie';
        } catch (error) {
          // A stale cookie on a public route is simply ignored.
          if (mode === 'required') throw error;
        }
      }
    }
    if (mode === 'required' && !request.actor) {
      throw new FacegateError('UNAUTHENTICATED', 'Authentication required');
    }
    const permission = request.routeOptions.config?.permission;
    if (permission && request.actor) await policy.authorize(request.actor, permission);
  });
}

/** The authenticated actor of a `required` route. */
export function actorOf(request: FastifyRequest): AuthenticatedActor {
  if (!request.actor) throw new FacegateError('UNAUTHENTICATED', 'Authentication required');
  return request.actor;
}
