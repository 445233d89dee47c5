import type { AuditEvent } from '../../../src/domain/models.js';
import type { TestApi } from '../api/api-test-kit.js';

/** Makes a test API listen on a free loopback port and returns its base URL (real HTTP, real sockets). */
export async function listen(api: TestApi): Promise<string> {
  await api.server.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.server.address();
  if (typeof address !== 'object' || !address) throw new Error('server has no address');
  return `http://127.0.0.1:${address.port}`;
}

/** A parsed JSON answer. */
export interface JsonAnswer {
  status: number;
  body: { error?: { code?: string } } & Record<string, unknown>;
}

/**
 * One HTTP request with a JSON answer. A `503 OVERLOADED` (the backpressure guard, which refuses before any
 * handler runs, as happens on a busy test machine) is retried, so tests see the route's own answer.
 */
export async function send(url: string, init: RequestInit): Promise<JsonAnswer> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    const body = (await res.json()) as JsonAnswer['body'];
    if (res.status !== 503 || body.error?.code !== 'OVERLOADED' || attempt >= 20) {
      return { status: res.status, body };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A JSON POST over HTTP. */
export function postJson(
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
}

/** The newest audit events of an action, newest first. */
export async function auditOf(api: TestApi, action: string): Promise<AuditEvent[]> {
  return (await api.app.store.audit.query({ action, limit: 50 })).items;
}
