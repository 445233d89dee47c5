import type { AuditEvent } from '../../../src/domain/models.js';
import type { TestApi } from '../api/api-test-kit.js';

/** Makes a test API listen on a free loopback port and returns its base URL (real HTTP, real sockets). */
export async function listen(api: TestApi): Promise<string> {
  await api.server.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.server.address();
  if (typeof address !== 'object' || !address) throw new Error('server has no address');
  return `http://127.0.0.1:${address.port}`;
}

/** A JSON POST over HTTP; answers status and parsed body. */
export async function postJson(
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { error?: { code?: string } } & Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The newest audit events of an action, newest first. */
export async function auditOf(api: TestApi, action: string): Promise<AuditEvent[]> {
  return (await api.app.store.audit.query({ action, limit: 50 })).items;
}
