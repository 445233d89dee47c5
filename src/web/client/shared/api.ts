/** Thin typed client of the facegate HTTP API (`/v1`), shared by the kiosk and the admin pages. */

import type { ErrorBody } from './api-types.js';
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

/** Options of {@link apiRequest}. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** JSON-serialised unless it is a FormData or Blob. */
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

/** The CSRF token of the admin session, sent on unsafe methods. Set after login / `GET /v1/auth/me`. */
let csrfToken: string | null = null;

/** Remembers the CSRF token returned by the server for the cookie session. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Header carrying the CSRF token on unsafe requests. */
export const CSRF_HEADER = 'x-csrf-token';

/** Builds `/v1<path>?query`, dropping empty query values. */
export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return `/v1${path}${qs ? `?${qs}` : ''}`;
}

/** Calls the API and returns the parsed JSON body (or `undefined` for 204); throws {@link ApiError}. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData || options.body instanceof Blob) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check the network and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    // A proxy in front of the server may answer with something else than the API's error body.
    const err = (parsed as Partial<ErrorBody> | undefined)?.error;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      err?.code ?? `HTTP_${response.status}`,
      err?.message ?? (response.statusText || 'Request failed'),
      err?.requestId,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return parsed as T;
}

/**
 * A human message for an error thrown by {@link apiRequest}: a plain sentence, then (after a line break) the code,
 * the server's message and the request id, which the admin pages' notices show in small print.
 */
export function errorMessage(error: unknown): string {
  const { text, detail } = errorParts(error);
  return detail ? `${text}${DETAIL_SEPARATOR}${detail}` : text;
}
