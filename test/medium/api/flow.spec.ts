import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  errorCode,
  formPost,
  imagePost,
  loadEngine,
  METRICS_AUTH,
  openApi,
  PASSWORD,
  type TestApi,
  uploadFaces,
} from './api-test-kit.js';

let engine: FaceEngine;
let api: TestApi;

beforeAll(async () => {
  engine = await loadEngine();
  api = await openApi(engine);
});
afterAll(async () => {
  await api?.close();
  await engine?.close();
});

describe('the whole flow over HTTP', () => {
  it('setup → login → kiosk key → employee → photos → kiosk authenticates → JWKS verifies → erase → no match', async () => {
    const { server } = api;
    const status = await server.inject({ method: 'GET', url: '/v1/setup/status' });
    expect(body(status)).toEqual({ needsSetup: true });

    // First run: the one-time setup token creates the admin; a second use is refused.
    const setup = await server.inject({
      method: 'POST',
      url: '/v1/setup',
      payload: { setupToken: api.setupToken, username: 'admin', password: PASSWORD },
    });
    expect(setup.statusCode).toBe(201);
    const again = await server.inject({
      method: 'POST',
      url: '/v1/setup',
      payload: { setupToken: api.setupToken, username: 'admin2', password: PASSWORD },
    });
    expect(errorCode(again)).toBe('SETUP_ALREADY_DONE');

    // Browser login: HttpOnly SameSite=Strict cookie + CSRF token.
    const login = await server.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'admin', password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/fg_session=fgs_/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(body(login)).not.toHaveProperty('token');
    expect(login.headers['cache-control']).toBe('no-store');
    const cookie = setCookie.split(';')[0]!;
    const csrf = body<{ csrfToken: string }>(login).csrfToken;

    const me = await server.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie } });
    expect(body<{ actor: { role: string }; csrfToken: string }>(me)).toMatchObject({
      actor: { role: 'admin' },
      csrfToken: csrf,
    });

    // Unsafe cookie request without the CSRF header is refused, with it accepted.
    const noCsrf = await server.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { cookie },
      payload: { name: 'door 1', role: 'kiosk' },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(errorCode(noCsrf)).toBe('CSRF_FAILED');
    const keyRes = await server.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { name: 'door 1', role: 'kiosk' },
    });
    expect(keyRes.statusCode).toBe(201);
    const kiosk = body<{ secret: string; key: { id: string; prefix: string } }>(keyRes);
    expect(kiosk.secret).toMatch(/^fg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const keys = await server.inject({ method: 'GET', url: '/v1/keys', headers: { cookie } });
    expect(keys.body).not.toContain(kiosk.secret.split('_').slice(2).join('_'));

    const created = await server.inject({
      method: 'POST',
      url: '/v1/employees',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { badge: 'E-1001', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    });
    expect(created.statusCode).toBe(201);
    const employee = body<{ id: string }>(created);

    const face = await faceCrop('s1-0');
    const enrolled = await uploadFaces(api, { cookie, 'x-csrf-token': csrf }, employee.id, [
      { name: 'ada-1.jpg', bytes: face },
      { name: 'ada-2.jpg', bytes: await transform(face, 'crop') },
    ]);
    expect(enrolled.statusCode).toBe(200);
    const enrollBody = body<{ added: number; photos: Array<{ accepted: boolean; file: string }> }>(enrolled);
    expect(enrollBody.added).toBeGreaterThanOrEqual(1);
    expect(enrollBody.photos.map((p) => p.file)).toEqual(['ada-1.jpg', 'ada-2.jpg']);
    expect(enrolled.body).not.toMatch(/embedding/i);

    const faces = await server.inject({
      method: 'GET',
      url: `/v1/employees/${employee.id}/faces`,
      headers: { cookie },
    });
    const items = body<{ items: Array<{ photoId: string | null }> }>(faces).items;
    expect(items.length).toBe(enrollBody.added);
    const photo = await server.inject({
      method: 'GET',
      url: `/v1/employees/${employee.id}/photos/${items[0]!.photoId}`,
      headers: { cookie },
    });
    expect(photo.statusCode).toBe(200);
    expect(photo.headers['content-type']).toMatch(/^image\//);

    // The kiosk authenticates with a different shot (raw image body): match, names, token; no scores.
    const probe = await transform(face, 'flip');
    const auth = await server.inject(imagePost('/v1/authenticate', probe, bearer(kiosk.secret)));
    expect(auth.statusCode).toBe(200);
    const decision = body<Record<string, unknown>>(auth);
    expect(decision).toMatchObject({
      decision: 'match',
      employee: { id: employee.id, badge: 'E-1001', firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(Object.keys(decision).sort()).toEqual(['decision', 'employee', 'token', 'tokenExpiresAt']);
    expect(auth.body).not.toMatch(/score|threshold|reason/i);

    // The token verifies offline against the published JWKS.
    const jwks = await server.inject({ method: 'GET', url: '/v1/.well-known/jwks.json' });
    const set = body<{ keys: Array<Record<string, string>> }>(jwks);
    expect(set.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(set.keys[0]).not.toHaveProperty('d');
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
    const { payload, protectedHeader } = await jwtVerify(
      decision.token as string,
      createLocalJWKSet(set as never),
      { issuer: 'facegate', audience: 'facegate-door' },
    );
    expect(payload.sub).toBe(employee.id);
    expect(protectedHeader.kid).toBe(set.keys[0]!.kid);
    expect(payload.exp! - payload.iat!).toBe(api.app.config.security.tokenTtlSeconds);
    createPublicKey({ key: set.keys[0] as never, format: 'jwk' });

    // An admin calling authenticate sees the figures.
    const adminAuth = await server.inject(
      imagePost('/v1/authenticate', probe, { cookie, 'x-csrf-token': csrf }),
    );
    expect(body<{ details: { score: number; threshold: number } }>(adminAuth).details.score).toBeGreaterThan(
      0,
    );

    // 1:1 verify by badge.
    const verified = await server.inject(
      formPost('/v1/verify', bearer(kiosk.secret), [{ bytes: probe }], { employee: 'E-1001' }),
    );
    expect(body(verified)).toMatchObject({ decision: 'match', employee: { id: employee.id } });

    // Complete erasure, then the same face no longer matches.
    const erased = await server.inject({
      method: 'DELETE',
      url: `/v1/employees/${employee.id}`,
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(erased.statusCode).toBe(200);
    expect(body(erased)).toMatchObject({ employeeId: employee.id, verified: true });
    const after = await server.inject(imagePost('/v1/authenticate', probe, bearer(kiosk.secret)));
    expect(body(after)).toEqual({ decision: 'no_match' });
    const gone = await server.inject({
      method: 'GET',
      url: `/v1/employees/${employee.id}`,
      headers: { cookie },
    });
    expect(errorCode(gone)).toBe('NOT_FOUND');

    // Every step is in the audit log.
    const audit = await server.inject({ method: 'GET', url: '/v1/audit?limit=500', headers: { cookie } });
    const actions = body<{ items: Array<{ action: string; outcome: string }> }>(audit).items.map(
      (e) => `${e.action}:${e.outcome}`,
    );
    for (const expected of [
      'user.create:success',
      'login:success',
      'apikey.create:success',
      'employee.create:success',
      'authenticate:match',
      'verify:match',
      'authenticate:no_match',
    ]) {
      expect(actions).toContain(expected);
    }
    expect(actions.some((a) => a.startsWith('enroll'))).toBe(true);
    expect(actions.some((a) => a.startsWith('employee.delete') || a.startsWith('employee.erase'))).toBe(true);
    expect(audit.body).not.toMatch(/embedding/i);

    // Revoking the key stops it at once; logout ends the session.
    await server.inject({
      method: 'DELETE',
      url: `/v1/keys/${kiosk.key.id}`,
      headers: { cookie, 'x-csrf-token': csrf },
    });
    const revoked = await server.inject(imagePost('/v1/authenticate', probe, bearer(kiosk.secret)));
    expect(errorCode(revoked)).toBe('UNAUTHENTICATED');
    const out = await server.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(204);
    const meAfter = await server.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie } });
    expect(errorCode(meAfter)).toBe('UNAUTHENTICATED');
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    const { server } = api;
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const metrics = await server.inject({ method: 'GET', url: '/metrics', headers: METRICS_AUTH });
    expect(metrics.body).toContain('facegate_http_requests_total');
    expect(metrics.body).toContain('facegate_decisions_total');
    const doc = await server.inject({ method: 'GET', url: '/docs/json' });
    const openapi = body<{ openapi: string; paths: Record<string, unknown> }>(doc);
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toContain('/v1/authenticate');
    const upload = (
      openapi.paths as Record<string, { post?: { requestBody?: { content?: Record<string, unknown> } } }>
    )['/v1/employees/{id}/faces'];
    expect(Object.keys(upload?.post?.requestBody?.content ?? {})).toEqual(['multipart/form-data']);
    const ui = await server.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    const helmet = await server.inject({ method: 'GET', url: '/healthz' });
    expect(helmet.headers['x-content-type-options']).toBe('nosniff');
    expect(helmet.headers['access-control-allow-origin']).toBeUndefined();
  });
});
