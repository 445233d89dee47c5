import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, type Role } from '../../../src/domain/access.js';
import { faceCrop } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createUser,
  enrollEmployee,
  errorCode,
  formPost,
  login,
  openStaffedApi,
  PASSWORD,
  type StaffedApi,
} from './api-test-kit.js';

type Who = Role | 'anonymous';
const WHO: readonly Who[] = ['admin', 'enroller', 'auditor', 'kiosk', 'anonymous'];

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  json?: unknown;
  image?: Buffer;
  fields?: Record<string, string>;
}

let api: StaffedApi;
const tokens = new Map<Who, Record<string, string>>();
let employeeId: string;
let photoId: string;
let face: Buffer;

beforeAll(async () => {
  api = await openStaffedApi();
  tokens.set('admin', api.admin);
  for (const role of ['enroller', 'auditor'] as const) {
    await createUser(api, api.adminToken, role, role);
    tokens.set(role, bearer(await login(api, role)));
  }
  tokens.set('kiosk', api.kiosk);
  tokens.set('anonymous', {});
  face = await faceCrop('s3-0');
  employeeId = await enrollEmployee(
    api,
    api.admin,
    { badge: 'R-1', firstName: 'Role', lastName: 'Table' },
    face,
  );
  const faces = await api.server.inject({
    method: 'GET',
    url: `/v1/employees/${employeeId}/faces`,
    headers: api.admin,
  });
  photoId = body<{ items: Array<{ photoId: string }> }>(faces).items[0]!.photoId;
});
afterAll(async () => {
  await api?.close();
});

/** Every endpoint, who may call it, and a harmless request (destructive calls target unknown ids). */
function table(): Array<{ name: string; allowed: readonly Who[]; call: () => Call }> {
  const nobody = () => randomUUID();
  const emp = () => `/v1/employees/${employeeId}`;
  return [
    {
      name: 'POST /v1/authenticate',
      allowed: ['admin', 'kiosk'],
      call: () => ({ method: 'POST', url: '/v1/authenticate', image: face }),
    },
    {
      name: 'POST /v1/verify',
      allowed: ['admin', 'kiosk'],
      call: () => ({ method: 'POST', url: '/v1/verify', image: face, fields: { employee: 'R-1' } }),
    },
    {
      name: 'GET /v1/employees',
      allowed: ['admin', 'enroller', 'auditor'],
      call: () => ({ method: 'GET', url: '/v1/employees' }),
    },
    {
      name: 'POST /v1/employees',
      allowed: ['admin', 'enroller'],
      call: () => ({
        method: 'POST',
        url: '/v1/employees',
        json: { badge: `B-${randomUUID().slice(0, 8)}`, firstName: 'New', lastName: 'Person' },
      }),
    },
    {
      name: 'GET /v1/employees/{id}',
      allowed: ['admin', 'enroller', 'auditor'],
      call: () => ({ method: 'GET', url: emp() }),
    },
    {
      name: 'PATCH /v1/employees/{id}',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'PATCH', url: emp(), json: { department: 'Security' } }),
    },
    {
      name: 'POST /v1/employees/{id}/suspend',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'POST', url: `/v1/employees/${nobody()}/suspend` }),
    },
    {
      name: 'POST /v1/employees/{id}/reactivate',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'POST', url: `${emp()}/reactivate` }),
    },
    {
      name: 'POST /v1/employees/{id}/unlock',
      allowed: ['admin'],
      call: () => ({ method: 'POST', url: `${emp()}/unlock` }),
    },
    {
      name: 'POST /v1/employees/{id}/faces',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'POST', url: `/v1/employees/${nobody()}/faces`, image: face }),
    },
    {
      name: 'GET /v1/employees/{id}/faces',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'GET', url: `${emp()}/faces` }),
    },
    {
      name: 'GET /v1/employees/{id}/photos/{photoId}',
      allowed: ['admin', 'enroller'],
      call: () => ({ method: 'GET', url: `${emp()}/photos/${photoId}` }),
    },
    {
      name: 'DELETE /v1/employees/{id}',
      allowed: ['admin'],
      call: () => ({ method: 'DELETE', url: `/v1/employees/${nobody()}` }),
    },
    {
      name: 'GET /v1/audit',
      allowed: ['admin', 'auditor'],
      call: () => ({ method: 'GET', url: '/v1/audit' }),
    },
    {
      name: 'GET /v1/audit/export',
      allowed: ['admin', 'auditor'],
      call: () => ({ method: 'GET', url: '/v1/audit/export?format=jsonl' }),
    },
    {
      name: 'GET /v1/settings',
      allowed: ['admin', 'enroller', 'auditor'],
      call: () => ({ method: 'GET', url: '/v1/settings' }),
    },
    {
      name: 'PUT /v1/settings',
      allowed: ['admin'],
      call: () => ({ method: 'PUT', url: '/v1/settings', json: { livenessMode: 'off' } }),
    },
    {
      name: 'GET /v1/calibration',
      allowed: ['admin', 'auditor'],
      call: () => ({ method: 'GET', url: '/v1/calibration' }),
    },
    {
      name: 'POST /v1/templates/upgrade',
      allowed: ['admin'],
      call: () => ({ method: 'POST', url: '/v1/templates/upgrade', json: { dryRun: true } }),
    },
    { name: 'GET /v1/keys', allowed: ['admin'], call: () => ({ method: 'GET', url: '/v1/keys' }) },
    {
      name: 'POST /v1/keys',
      allowed: ['admin'],
      call: () => ({ method: 'POST', url: '/v1/keys', json: { name: 'x', role: 'kiosk' } }),
    },
    {
      name: 'DELETE /v1/keys/{id}',
      allowed: ['admin'],
      call: () => ({ method: 'DELETE', url: `/v1/keys/${nobody()}` }),
    },
    { name: 'GET /v1/users', allowed: ['admin'], call: () => ({ method: 'GET', url: '/v1/users' }) },
    {
      name: 'POST /v1/users',
      allowed: ['admin'],
      call: () => ({
        method: 'POST',
        url: '/v1/users',
        json: { username: `u${randomUUID().slice(0, 8)}`, password: PASSWORD, role: 'auditor' },
      }),
    },
    {
      name: 'PATCH /v1/users/{id}',
      allowed: ['admin'],
      call: () => ({ method: 'PATCH', url: `/v1/users/${nobody()}`, json: { disabled: true } }),
    },
    {
      name: 'DELETE /v1/users/{id}',
      allowed: ['admin'],
      call: () => ({ method: 'DELETE', url: `/v1/users/${nobody()}` }),
    },
    {
      name: 'GET /v1/auth/me',
      allowed: ['admin', 'enroller', 'auditor', 'kiosk'],
      call: () => ({ method: 'GET', url: '/v1/auth/me' }),
    },
    {
      name: 'GET /v1/.well-known/jwks.json',
      allowed: WHO,
      call: () => ({ method: 'GET', url: '/v1/.well-known/jwks.json' }),
    },
    { name: 'GET /v1/setup/status', allowed: WHO, call: () => ({ method: 'GET', url: '/v1/setup/status' }) },
    { name: 'GET /healthz', allowed: WHO, call: () => ({ method: 'GET', url: '/healthz' }) },
  ];
}

async function send(who: Who, call: Call) {
  const headers: Record<string, string> = { ...tokens.get(who) };
  if (call.image) {
    return api.server.inject({
      ...formPost(call.url, headers, [{ bytes: call.image }], call.fields),
      method: call.method,
    });
  }
  return api.server.inject({
    method: call.method,
    url: call.url,
    headers,
    ...(call.json ? { payload: call.json as object } : {}),
  });
}

describe('role table: every endpoint × role', () => {
  for (const row of table()) {
    for (const who of WHO) {
      const allowed = row.allowed.includes(who);
      it(`${row.name} — ${who} ${allowed ? 'allowed' : 'refused'}`, async () => {
        const res = await send(who, row.call());
        if (allowed) {
          expect([401, 403], `${res.statusCode} ${res.body}`).not.toContain(res.statusCode);
          expect(res.statusCode).toBeLessThan(500);
        } else if (who === 'anonymous') {
          expect(res.statusCode).toBe(401);
          expect(errorCode(res)).toBe('UNAUTHENTICATED');
        } else {
          expect(res.statusCode).toBe(403);
          expect(errorCode(res)).toBe('FORBIDDEN');
        }
      });
    }
  }
});

describe('services check permissions themselves (not only the routes)', () => {
  const kioskActor = { type: 'api_key' as const, id: 'k', role: 'kiosk' as const, name: 'k', ip: null };
  const auditorActor = { ...kioskActor, type: 'user' as const, role: 'auditor' as const };

  it('refuses a kiosk actor in employee, key, user, settings and audit services', async () => {
    const { ctx } = api;
    await expect(
      ctx.employees.create({ badge: 'X-1', firstName: 'a', lastName: 'b' }, kioskActor),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ctx.auth.apiKeys.create(kioskActor, { name: 'x', role: 'admin' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(ctx.auth.users.list(kioskActor)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ctx.auth.settings.update(kioskActor, { livenessMode: 'off' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(ctx.auth.audit.query(kioskActor, {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('never lets an auditor read photos or templates', async () => {
    await expect(api.ctx.employees.getPhoto(employeeId, photoId, auditorActor)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(ROLE_PERMISSIONS.auditor).not.toContain('photos:read');
    expect(ROLE_PERMISSIONS.auditor).not.toContain('faces:read');
  });

  it('hides scores from kiosks but shows them to admins', async () => {
    const kiosk = await send('kiosk', { method: 'POST', url: '/v1/authenticate', image: face });
    expect(body(kiosk)).not.toHaveProperty('details');
    const admin = await send('admin', { method: 'POST', url: '/v1/authenticate', image: face });
    expect(body(admin)).toHaveProperty('details.threshold');
  });
});
