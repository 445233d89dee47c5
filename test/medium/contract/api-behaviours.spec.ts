import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/api/server.js';
import {
  bearer,
  body,
  createKey,
  createUser,
  errorCode,
  login,
  openApi,
  openStaffedApi,
  type StaffedApi,
} from '../api/api-test-kit.js';

/** Asserts the one error shape, the request id and the security headers. */
function expectOneErrorShape(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const error = body<{ error: { code: string; message: string; requestId: string } }>(res).error;
  expect(error).toEqual({ code, message: expect.any(String), requestId: expect.any(String) });
  expect(res.headers['x-request-id']).toBe(error.requestId);
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

describe('API behaviours', () => {
  let api: StaffedApi;
  beforeAll(async () => {
    api = await openStaffedApi();
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('health checks, readiness, the JWKS and the OpenAPI document are outside the per-IP rate limit', async () => {
    const limited = await openApi(api.engine, { security: { rateLimitPerMinute: 3 } });
    try {
      for (const url of ['/healthz', '/readyz', '/v1/.well-known/jwks.json', '/docs/json']) {
        for (let i = 0; i < 6; i += 1) {
          const res = await limited.server.inject({ method: 'GET', url });
          expect(res.statusCode, `${url} #${i}`).not.toBe(429);
        }
      }
      const jwks = await limited.server.inject({ method: 'GET', url: '/v1/.well-known/jwks.json' });
      expect(jwks.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        statuses.push((await limited.server.inject({ method: 'GET', url: '/v1/setup/status' })).statusCode);
      }
      expect(statuses).toContain(429);
    } finally {
      await limited.close();
    }
  });

  it('a PATCH that takes nothing away keeps the user signed in; lowering the role ends the sessions', async () => {
    const id = await createUser(api, api.adminToken, 'patched', 'enroller');
    const token = await login(api, 'patched');
    const me = () => api.server.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) });
    const patch = (payload: Record<string, unknown>) =>
      api.server.inject({ method: 'PATCH', url: `/v1/users/${id}`, headers: api.admin, payload });

    expect((await patch({ role: 'enroller' })).statusCode).toBe(200);
    expect((await patch({ disabled: false })).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(200);
    expect((await patch({ role: 'admin' })).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(200);
    expect((await patch({ role: 'auditor' })).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(401);
  });

  it('the template upgrade is a dry run unless dryRun is false; null is refused', async () => {
    const post = (payload: Record<string, unknown>) =>
      api.server.inject({ method: 'POST', url: '/v1/templates/upgrade', headers: api.admin, payload });
    const empty = await post({});
    expect(empty.statusCode, empty.body).toBe(200);
    expect(body(empty).dryRun).toBe(true);
    expectOneErrorShape(await post({ dryRun: null }), 400, 'VALIDATION_FAILED');
    const real = await post({ dryRun: false });
    expect(body(real).dryRun).toBe(false);
  });

  it("Fastify's own errors answer in the one shape with the security headers", async () => {
    const long = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${'a'.repeat(200)}`,
      headers: api.admin,
    });
    expectOneErrorShape(long, 414, 'URI_TOO_LONG');
    expect(long.body).not.toContain('aaaa');
    const badUrl = await api.server.inject({
      method: 'GET',
      url: '/v1/employees/%E0%A4%A',
      headers: api.admin,
    });
    expectOneErrorShape(badUrl, 400, 'VALIDATION_FAILED');
    const badJson = await api.server.inject({
      method: 'POST',
      url: '/v1/employees',
      headers: { ...api.admin, 'content-type': 'application/json' },
      payload: '{"badge":',
    });
    expectOneErrorShape(badJson, 400, 'VALIDATION_FAILED');
    const unknownType = await api.server.inject({
      method: 'POST',
      url: '/v1/employees',
      headers: { ...api.admin, 'content-type': 'application/xml' },
      payload: 'hello',
    });
    expectOneErrorShape(unknownType, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectOneErrorShape(await api.server.inject({ method: 'GET', url: '/nowhere' }), 404, 'NOT_FOUND');
  });

  it('a malformed request line is answered in the one shape on the raw socket', async () => {
    const address = await api.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT A REQUEST\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.toLowerCase()).toContain('content-security-policy:');
    expect(raw).toMatch(/\{"error":\{"code":"VALIDATION_FAILED","message":"[^"]+","requestId":"[^"]+"\}\}$/);
  });

  it('a body that stalls past the request timeout gets 408 in the one shape, logged; the server stays up', async () => {
    // The same services behind a server whose request timeout is short (120 s in production), logging at info.
    let logged = '';
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const config = { ...api.ctx.config, logLevel: 'info' as const };
    const slow = await buildServer(
      { ...api.ctx, config },
      // As the kit's server: the engine shares this thread, so a loaded machine must not turn this into a 503.
      { logStream, requestTimeoutMs: 1000, maxEventLoopDelayMs: 0 },
    );
    try {
      const address = await slow.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          // Headers and the start of the body, then nothing: the rest never comes.
          socket.write(
            'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n' +
              'content-length: 100\r\n\r\n{"username":',
          ),
        );
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk.toString();
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 408 /);
      expect(raw.toLowerCase()).toContain('content-security-policy:');
      expect(raw.toLowerCase()).toContain('connection: close');
      const shape = /\{"error":\{"code":"REQUEST_TIMEOUT","message":"[^"]+","requestId":"([^"]+)"\}\}$/.exec(
        raw,
      );
      expect(shape, raw).not.toBeNull();
      expect(logged).toContain(shape?.[1]);
      expect((await fetch(`${address}/healthz`)).status).toBe(200);
      // Fastify's own refusals before routing are logged with their request id too.
      const long = await fetch(`${address}/v1/employees/${'a'.repeat(200)}`, { headers: api.admin });
      expect(long.status).toBe(414);
      expect(logged).toContain(String(long.headers.get('x-request-id')));
      expect(logged).toContain('URI_TOO_LONG');
    } finally {
      await slow.close();
    }
  });

  it('JSON bodies are never coerced: a wrong type is 400 VALIDATION_FAILED', async () => {
    const res = await api.server.inject({
      method: 'POST',
      url: '/v1/employees',
      headers: api.admin,
      payload: { badge: 'C1', firstName: false, lastName: 'Doe' },
    });
    expectOneErrorShape(res, 400, 'VALIDATION_FAILED');
    const settings = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { kioskShowPhoto: null },
    });
    expect(errorCode(settings)).toBe('VALIDATION_FAILED');
    const query = await api.server.inject({
      method: 'GET',
      url: '/v1/employees?limit=5',
      headers: api.admin,
    });
    expect(query.statusCode, query.body).toBe(200);
  });

  it('an unknown method on a known path is 405 with Allow', async () => {
    for (const method of ['TRACE', 'QUERY'] as const) {
      const res = await api.server.inject({ method, url: '/v1/employees', headers: api.admin });
      expectOneErrorShape(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toMatch(/GET/);
      expect(res.headers.allow).toMatch(/POST/);
    }
    const item = await api.server.inject({
      method: 'PUT',
      url: `/v1/users/${api.kioskKeyId}`,
      headers: api.admin,
    });
    expectOneErrorShape(item, 405, 'METHOD_NOT_ALLOWED');
    expect(item.headers.allow).toContain('PATCH');
  });

  it('logout with an API key is a 400 that points at /v1/keys, and the key keeps working', async () => {
    const key = await createKey(api, api.adminToken, 'auditor', 'logout probe');
    const res = await api.server.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: bearer(key.secret),
    });
    expectOneErrorShape(res, 400, 'VALIDATION_FAILED');
    expect(body<{ error: { message: string } }>(res).error.message).toContain('/v1/keys');
    const after = await api.server.inject({ method: 'GET', url: '/v1/audit', headers: bearer(key.secret) });
    expect(after.statusCode, after.body).toBe(200);
  });
});
