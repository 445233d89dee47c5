/**
 * The typed client of the facegate HTTP API, shared by the kiosk and the admin pages: `openapi-fetch` over the
 * types generated from the server's OpenAPI document (`api-schema.gen.ts`, `npm run api:types`). Paths, params,
 * bodies and answers are checked against the document: when it and the UI disagree, the type-check fails.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './api-schema.gen.js';
import { DETAIL_SEPARATOR, errorParts } from './error-text.js';

/** A failed API call, with the stable error code of the server (or `NETWORK` when the server was not reached). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, requestId?: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The CSRF token of the admin session, sent on unsafe methods. Set after login / `GET /v1/auth/me`. */
let csrfToken: string | null = null;

/** Remembers the CSRF token returned by the server for the cookie session. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Header carrying the CSRF token on unsafe requests. */
export const CSRF_HEADER = 'x-csrf-token';

/** The admin session's CSRF token on every unsafe request (the session cookie travels by itself). */
const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && csrfToken) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
};

/** Query values of a request or link; empty ones (`undefined`, `null`, `''`) are left out. */
type QueryValues = Record<string, unknown>;

/** `a=1&b=x`, without the empty values (an unset filter is no filter, not an empty one). */
function queryString(query: QueryValues | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  return params.toString();
}

/**
 * The one client of the API: same-origin cookie session, JSON answers, CSRF header on unsafe methods, empty
 * query values left out.
 */
export const api = createClient<paths>({
  credentials: 'same-origin',
  headers: { accept: 'application/json' },
  querySerializer: queryString,
});
api.use(csrf);

/** The `authorization` header of a bearer key (the kiosk's key). */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/**
 * Sends a `Blob` or `FormData` body as it is (no JSON): the browser sets the multipart boundary, and a raw image
 * body keeps the `content-type` the caller gives. `form` builds the exact parts when the typed body alone cannot
 * carry them (file names).
 */
export function asIs(form?: () => FormData): (body: unknown) => BodyInit {
  return (body) => (form ? form() : (body as BodyInit));
}

/** What an `openapi-fetch` call resolves to: the parsed answer or the parsed error, and the response. */
interface Outcome {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The {@link ApiError} of a failed answer: the API's `{ error: { code, message, requestId } }` when present. */
function apiErrorOf(response: Response, body: unknown): ApiError {
  // A proxy in front of the server may answer with something else than the API's error body.
  const err =
    body && typeof body === 'object' && 'error' in body
      ? (body.error as { code?: string; message?: string; requestId?: string } | undefined)
      : undefined;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    err?.code ?? `HTTP_${response.status}`,
    err?.message ?? (response.statusText || 'Request failed'),
    err?.requestId,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/**
 * Awaits a call of {@link api} and returns its answer (`undefined` for 204); throws {@link ApiError} for an
 * error answer or `NETWORK` when the server was not reached. An aborted call rethrows the `AbortError`.
 */
export async function ok<T extends Outcome>(call: Promise<T>): Promise<Required<T>['data']> {
  let outcome: T;
  try {
    outcome = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check the network and try again.');
  }
  if (!outcome.response.ok) throw apiErrorOf(outcome.response, outcome.error);
  return outcome.data as Required<T>['data'];
}

/** Builds `/v1<path>?query` for links (downloads), dropping empty query values. */
export function apiUrl(path: string, query?: QueryValues): string {
  const qs = queryString(query);
  return `/v1${path}${qs ? `?${qs}` : ''}`;
}

/**
 * A human message for an error thrown by {@link ok}: a plain sentence, then (after a line break) the code,
 * the server's message and the request id, which the admin pages' notices show in small print.
 */
export function errorMessage(error: unknown): string {
  const { text, detail } = errorParts(error);
  return detail ? `${text}${DETAIL_SEPARATOR}${detail}` : text;
}
