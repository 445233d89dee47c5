import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  body,
  createUser,
  enrollEmployee,
  errorCode,
  formPost,
  imagePost,
  openStaffedApi,
  PASSWORD,
  type StaffedApi,
} from './api-test-kit.js';

let api: StaffedApi;
let employeeId: string;
let own: Buffer;
let stranger: Buffer;

/** Lets every running delay expire, as if time had passed (the store is the only clock state). */
async function expireDelays(): Promise<void> {
  for (const state of await api.app.store.lockouts.list()) {
    if (state.lockedUntil) {
      await api.app.store.lockouts.put({ ...state, lockedUntil: new Date(Date.now() - 1000).toISOString() });
    }
  }
}

function authenticate(photo: Buffer, headers = api.kiosk) {
  return api.server.inject(imagePost('/v1/authenticate', photo, headers));
}

function verify(photo: Buffer, employee: string) {
  return api.server.inject(formPost('/v1/verify', api.kiosk, [{ bytes: photo }], { employee }));
}

beforeAll(async () => {
  // Threshold 2 and hard cap 3 keep the test short; the rules are the same as with the defaults (5 / 20).
  api = await openStaffedApi({
    security: { lockoutThreshold: 2, lockoutHardCap: 3, lockoutBaseDelaySeconds: 30 },
  });
  own = await faceCrop('s4-0');
  stranger = await faceCrop('s5-0');
  employeeId = await enrollEmployee(
    api,
    api.admin,
    { badge: 'L-1', firstName: 'Lock', lastName: 'Out' },
    own,
  );
});
afterAll(async () => {
  await api?.close();
});

describe('lockout (NIST SP 800-63B-4 style throttling)', () => {
  it('a success resets the consecutive counter', async () => {
    expect(body(await authenticate(stranger)).decision).toBe('no_match');
    expect(body(await authenticate(await transform(own, 'flip'))).decision).toBe('match');
    expect(body(await authenticate(stranger)).decision).toBe('no_match');
    const state = await api.app.store.lockouts.get(`key:${api.kioskKeyId}`);
    expect(state?.consecutiveFailures).toBe(1);
    expect(state?.lockedUntil).toBeNull();
  });

  it('after N consecutive failures the key is delayed ≥ 30 s, doubling, with Retry-After', async () => {
    expect(body(await authenticate(stranger)).decision).toBe('no_match'); // second consecutive failure
    const locked = await authenticate(await transform(own, 'flip'));
    expect(locked.statusCode).toBe(429);
    expect(errorCode(locked)).toBe('LOCKED_OUT');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(locked.body).not.toMatch(/score|threshold/);

    await expireDelays();
    expect(body(await authenticate(stranger)).decision).toBe('no_match'); // third: delay doubles
    const again = await authenticate(stranger);
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(59);

    await expireDelays();
    expect(body(await authenticate(await transform(own, 'flip'))).decision).toBe('match');
    expect((await api.app.store.lockouts.get(`key:${api.kioskKeyId}`))?.consecutiveFailures).toBe(0);
  });

  it('the hard cap locks face login of the claimed employee until an admin unlocks it', async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      await expireDelays();
      const res = await verify(stranger, 'L-1');
      expect(body(res).decision).toBe('no_match');
    }
    const employee = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${employeeId}`,
      headers: api.admin,
    });
    expect(body(employee)).toMatchObject({ faceLoginLocked: true });

    await expireDelays();
    // Even the right face is refused now, by 1:1 (LOCKED_OUT) and by 1:N (never matches).
    const refused = await verify(own, 'L-1');
    expect(errorCode(refused)).toBe('LOCKED_OUT');
    expect(body(await authenticate(own, api.admin)).decision).toBe('no_match');

    // Only admins clear it.
    await createUser(api, api.adminToken, 'enroller', 'enroller');
    const unlocked = await api.server.inject({
      method: 'POST',
      url: `/v1/employees/${employeeId}/unlock`,
      headers: api.admin,
    });
    expect(unlocked.statusCode).toBe(200);
    expect(body(unlocked)).toMatchObject({ faceLoginLocked: false });
    await expireDelays();
    expect(body(await verify(own, 'L-1')).decision).toBe('match');
  });

  it('audits failures, delays, the hard lock, refusals and the unlock', async () => {
    const audit = await api.server.inject({ method: 'GET', url: '/v1/audit?limit=500', headers: api.admin });
    const events = body<{
      items: Array<{ action: string; outcome: string; reason: string | null; employeeId: string | null }>;
    }>(audit).items;
    const has = (action: string, outcome: string, employee?: string) =>
      events.some(
        (e) => e.action === action && e.outcome === outcome && (!employee || e.employeeId === employee),
      );
    expect(has('authenticate', 'no_match')).toBe(true);
    expect(has('lockout.delay', 'locked')).toBe(true);
    expect(has('authenticate', 'refused')).toBe(true);
    expect(has('lockout.hard', 'locked', employeeId)).toBe(true);
    expect(has('verify', 'refused', employeeId)).toBe(true);
    expect(has('employee.unlock', 'success', employeeId)).toBe(true);
  });

  it('throttles password guessing per username without blocking kiosks', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await api.server.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: 'enroller', password: 'wrong password!!' },
      });
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
    const locked = await api.server.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'enroller', password: PASSWORD },
    });
    expect(errorCode(locked)).toBe('LOCKED_OUT');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    await expireDelays();
    expect(body(await authenticate(await transform(own, 'flip'))).decision).toBe('match');
  });

  it('lockout limits are a run-time setting', async () => {
    const put = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { lockout: { threshold: 4, hardCap: 9 } },
    });
    expect(body(put)).toMatchObject({ lockout: { threshold: 4, hardCap: 9, baseDelaySeconds: 30 } });
    const bad = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { lockout: { threshold: 10, hardCap: 9 } },
    });
    expect(errorCode(bad)).toBe('VALIDATION_FAILED');
  });

  it('concurrent failures of one key each count', async () => {
    await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { lockout: { threshold: 50, hardCap: 100 } },
    });
    await api.app.store.lockouts.clear(`key:${api.kioskKeyId}`);
    const results = await Promise.all(Array.from({ length: 4 }, () => authenticate(stranger)));
    expect(results.map((r) => body(r).decision)).toEqual(['no_match', 'no_match', 'no_match', 'no_match']);
    expect((await api.app.store.lockouts.get(`key:${api.kioskKeyId}`))?.consecutiveFailures).toBe(4);
  });
});
