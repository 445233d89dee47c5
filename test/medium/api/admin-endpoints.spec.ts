import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createEmployee,
  enrollEmployee,
  errorCode,
  imagePost,
  login,
  openStaffedApi,
  PASSWORD,
  type StaffedApi,
  uploadFaces,
} from './api-test-kit.js';

let api: StaffedApi;

beforeAll(async () => {
  api = await openStaffedApi();
});
afterAll(async () => {
  await api?.close();
});

function get(url: string, headers = api.admin) {
  return api.server.inject({ method: 'GET', url, headers });
}

describe('employees list, search, paging, suspension', () => {
  it('pages and searches', async () => {
    for (let i = 0; i < 7; i++) {
      const res = await api.server.inject({
        method: 'POST',
        url: '/v1/employees',
        headers: api.admin,
        payload: { badge: `P-${i}`, firstName: i % 2 ? 'Grace' : 'Alan', lastName: `Page${i}` },
      });
      expect(res.statusCode).toBe(201);
    }
    const page1 = body<{ items: Array<{ badge: string }>; total: number; limit: number; offset: number }>(
      await get('/v1/employees?limit=3&offset=0'),
    );
    const page3 = body<{ items: Array<{ badge: string }> }>(await get('/v1/employees?limit=3&offset=6'));
    expect(page1).toMatchObject({ total: 7, limit: 3, offset: 0 });
    expect(page1.items).toHaveLength(3);
    expect(page3.items).toHaveLength(1);
    const grace = body<{ items: unknown[]; total: number }>(await get('/v1/employees?search=grace'));
    expect(grace.total).toBe(3);
  });

  it('a suspended employee never matches; reactivation restores matching', async () => {
    const face = await faceCrop('s3-2');
    const id = await enrollEmployee(
      api,
      api.admin,
      { badge: 'SUS-1', firstName: 'Sus', lastName: 'Pended' },
      face,
    );
    const probe = await transform(face, 'flip');
    const auth = () => api.server.inject(imagePost('/v1/authenticate', probe, api.kiosk));
    expect(body(await auth()).decision).toBe('match');
    const suspended = await api.server.inject({
      method: 'POST',
      url: `/v1/employees/${id}/suspend`,
      headers: api.admin,
    });
    expect(body(suspended)).toMatchObject({ status: 'suspended' });
    expect(body(await auth())).toEqual({ decision: 'no_match' });
    await api.server.inject({ method: 'POST', url: `/v1/employees/${id}/reactivate`, headers: api.admin });
    expect(body(await auth()).decision).toBe('match');
    const patched = await api.server.inject({
      method: 'PATCH',
      url: `/v1/employees/${id}`,
      headers: api.admin,
      payload: { department: 'R&D', email: 'sus@example.com' },
    });
    expect(body(patched)).toMatchObject({ department: 'R&D', email: 'sus@example.com', badge: 'SUS-1' });
  });
});

describe('audit query and export', () => {
  it('filters, pages with a cursor, and exports CSV and JSON lines', async () => {
    const all = body<{ items: Array<{ action: string; at: string }> }>(
      await get('/v1/audit?limit=500'),
    ).items;
    expect(all.length).toBeGreaterThan(5);
    const auth = body<{ items: Array<{ action: string }> }>(
      await get('/v1/audit?action=authenticate&limit=500'),
    ).items;
    expect(auth.length).toBeGreaterThan(0);
    expect(auth.every((e) => e.action === 'authenticate')).toBe(true);
    const matches = body<{ items: Array<{ outcome: string }> }>(await get('/v1/audit?outcome=match')).items;
    expect(matches.every((e) => e.outcome === 'match')).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = body(
        await get(`/v1/audit?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor && seen.length < 1000);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(all.length);

    const future = body<{ items: unknown[] }>(
      await get(`/v1/audit?from=${new Date(Date.now() + 86_400_000).toISOString()}`),
    );
    expect(future.items).toEqual([]);

    const csv = await get('/v1/audit/export?format=csv&action=authenticate');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="facegate-audit-.*\.csv"/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe(
      'id,at,action,outcome,reason,actorType,actorId,employeeId,score,threshold,engine,ip,durationMs,details',
    );
    expect(lines.length - 1).toBe(auth.length);
    const jsonl = await get('/v1/audit/export?format=jsonl');
    const events = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(events.length).toBeGreaterThanOrEqual(all.length);
    expect(jsonl.body).not.toMatch(/embedding/i);
  });
});

describe('settings and calibration', () => {
  it('reads and changes settings, audited', async () => {
    const before = body<{ thresholdPreset: string; lockout: { threshold: number } }>(
      await get('/v1/settings'),
    );
    expect(before).toMatchObject({
      thresholdPreset: 'balanced',
      identifyPreset: 'strict',
      livenessMode: 'off',
      lockout: { threshold: 5 },
    });
    const put = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: {
        thresholdPreset: 'strict',
        identifyPreset: 'balanced',
        keepPhotos: false,
        auditRetentionDays: 90,
      },
    });
    expect(body(put)).toMatchObject({
      thresholdPreset: 'strict',
      identifyPreset: 'balanced',
      keepPhotos: false,
      auditRetentionDays: 90,
    });
    expect(body(await get('/v1/settings'))).toMatchObject({
      thresholdPreset: 'strict',
      identifyPreset: 'balanced',
    });
    // The identification service applies the 1:N preset at once.
    const decided = await api.server.inject(
      imagePost('/v1/authenticate', await transform(await faceCrop('s3-2'), 'flip'), api.admin),
    );
    expect(body<{ details: { preset: string } }>(decided).details.preset).toBe('balanced');
    const audit = body<{ items: Array<{ details: { after?: { thresholdPreset?: string } } }> }>(
      await get('/v1/audit?action=settings.update'),
    );
    expect(audit.items[0]?.details.after?.thresholdPreset).toBe('strict');
    await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { thresholdPreset: 'balanced', identifyPreset: 'strict', keepPhotos: true },
    });
  });

  it('keepPhotos off: enrollment keeps templates only', async () => {
    await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { keepPhotos: false },
    });
    try {
      const id = await createEmployee(api, api.admin, { badge: 'NP-1', firstName: 'No', lastName: 'Photo' });
      const enrolled = await uploadFaces(api, api.admin, id, [{ bytes: await faceCrop('s4-3') }]);
      expect(body<{ added: number }>(enrolled).added).toBe(1);
      const faces = body<{ items: Array<{ photoId: string | null }> }>(
        await get(`/v1/employees/${id}/faces`),
      );
      expect(faces.items.map((f) => f.photoId)).toEqual([null]);
    } finally {
      await api.server.inject({
        method: 'PUT',
        url: '/v1/settings',
        headers: api.admin,
        payload: { keepPhotos: true },
      });
    }
  });

  it('serves the last calibration when eval saved one', async () => {
    expect(body(await get('/v1/calibration'))).toEqual({ available: false, calibration: null, rocSvg: null });
    const dir = join(api.dataDir, 'calibration');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'last.json'),
      JSON.stringify({ format: 1, eer: 0.01, presets: { strict: { threshold: 0.6 } } }),
    );
    await writeFile(join(dir, 'roc.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    expect(body(await get('/v1/calibration'))).toEqual({
      available: true,
      calibration: { format: 1, eer: 0.01, presets: { strict: { threshold: 0.6 } } },
      rocSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    });
  });
});

describe('users and sessions', () => {
  it('creates, changes role, disables and deletes users; sessions end with them', async () => {
    const created = await api.server.inject({
      method: 'POST',
      url: '/v1/users',
      headers: api.admin,
      payload: { username: 'carol', password: PASSWORD, role: 'auditor' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toMatch(/passwordHash|argon2/);
    const id = body<{ id: string }>(created).id;
    const carol = bearer(await login(api, 'carol'));
    expect(body(await get('/v1/auth/me', carol))).toMatchObject({
      actor: { role: 'auditor' },
      user: { username: 'carol' },
    });

    const promoted = await api.server.inject({
      method: 'PATCH',
      url: `/v1/users/${id}`,
      headers: api.admin,
      payload: { role: 'enroller' },
    });
    expect(body(promoted)).toMatchObject({ role: 'enroller' });
    expect(errorCode(await get('/v1/auth/me', carol))).toBe('UNAUTHENTICATED'); // role change ends sessions

    const carol2 = bearer(await login(api, 'carol'));
    const changed = await api.server.inject({
      method: 'POST',
      url: '/v1/auth/password',
      headers: carol2,
      payload: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    });
    expect(changed.statusCode).toBe(204);
    expect(errorCode(await get('/v1/auth/me', carol2))).toBe('UNAUTHENTICATED');
    const carol3 = bearer(await login(api, 'carol', 'a brand new passphrase'));

    await api.server.inject({
      method: 'PATCH',
      url: `/v1/users/${id}`,
      headers: api.admin,
      payload: { disabled: true },
    });
    expect(errorCode(await get('/v1/auth/me', carol3))).toBe('UNAUTHENTICATED');
    const deleted = await api.server.inject({ method: 'DELETE', url: `/v1/users/${id}`, headers: api.admin });
    expect(deleted.statusCode).toBe(204);
    const list = body<{ items: Array<{ username: string }> }>(await get('/v1/users'));
    expect(list.items.map((u) => u.username)).toEqual(['admin']);
    const adminId = body<{ actor: { id: string } }>(await get('/v1/auth/me')).actor.id;
    const lastAdmin = await api.server.inject({
      method: 'DELETE',
      url: `/v1/users/${adminId}`,
      headers: api.admin,
    });
    expect(errorCode(lastAdmin)).toBe('CONFLICT');
  });

  it('an API key caller sees itself in /v1/auth/me without a CSRF token', async () => {
    expect(body(await get('/v1/auth/me', api.kiosk))).toEqual({
      actor: { type: 'api_key', id: expect.any(String), name: 'kiosk key', role: 'kiosk' },
      permissions: ['faces:identify', 'faces:verify'],
      csrfToken: null,
    });
  });
});

describe('audit retention', () => {
  it('removes events older than the retention setting, keeps newer ones', async () => {
    const before = body<{ items: unknown[] }>(await get('/v1/audit?limit=500')).items.length;
    expect(before).toBeGreaterThan(0);
    expect(await api.ctx.auth.audit.applyRetention(30)).toBe(0);
    const removed = await api.ctx.auth.audit.applyRetention(30, new Date(Date.now() + 31 * 86_400_000));
    expect(removed).toBe(before);
    expect(body<{ items: unknown[] }>(await get('/v1/audit?limit=500')).items.length).toBeLessThanOrEqual(1);
  });
});
