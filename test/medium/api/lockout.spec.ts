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
/** Distinct unknown people: failures of different faces count against the door. */
let strangers: Buffer[];
let nowMs = Date.now();

/** Lets time pass on the auth clock (delays, windows). */
function advance(seconds: number): void {
  nowMs += seconds * 1000;
}

/** Lets every running delay and the failure window (900 s) expire; sessions (8 h) outlive a few of these. */
function expireDelays(): void {
  advance(1000);
}

/** One kiosk attempt; a 503 from the event-loop guard (parallel analyses on a busy machine) is retried. */
async function authenticate(photo: Buffer, headers = api.kiosk) {
  for (let tries = 1; ; tries++) {
    const res = await api.server.inject(imagePost('/v1/authenticate', photo, headers));
    if (res.statusCode !== 503 || tries === 5) return res;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function verify(photo: Buffer, employee: string) {
  return api.server.inject(formPost('/v1/verify', api.kiosk, [{ bytes: photo }], { employee }));
}

beforeAll(async () => {
  // Threshold 2 and hard cap 3 keep the test short; the rules are the same as with the defaults (5 / 20).
  api = await openStaffedApi(
    { security: { lockoutThreshold: 2, lockoutHardCap: 3, lockoutBaseDelaySeconds: 30 } },
    () => new Date(nowMs),
  );
  own = await faceCrop('s4-0');
  stranger = await faceCrop('s5-0');
  strangers = await Promise.all(['s5-0', 's1-0', 's2-0', 's6-0', 's3-2'].map(faceCrop));
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
  it("another person's success does not reset the door's failures", async () => {
    expect(body(await authenticate(strangers[0]!)).decision).toBe('no_match');
    expect(body(await authenticate(await transform(own, 'flip'))).decision).toBe('match');
    expect(body(await authenticate(strangers[1]!)).decision).toBe('no_match');
    // Two failures in the window: the door is in a delay although a match came between them.
    expect(errorCode(await authenticate(await transform(own, 'flip')))).toBe('LOCKED_OUT');
  });

  it('after N failures in the window the key is delayed 30 s, then 60 s at most, with Retry-After', async () => {
    expireDelays();
    expect(body(await authenticate(strangers[0]!)).decision).toBe('no_match');
    expect(body(await authenticate(strangers[1]!)).decision).toBe('no_match');
    const locked = await authenticate(await transform(own, 'flip'));
    expect(locked.statusCode).toBe(429);
    expect(errorCode(locked)).toBe('LOCKED_OUT');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(locked.body).not.toMatch(/score|threshold/);

    advance(30);
    expect(body(await authenticate(strangers[2]!)).decision).toBe('no_match'); // third: delay doubles
    expect(Number((await authenticate(strangers[3]!)).headers['retry-after'])).toBe(60);
    advance(60);
    expect(body(await authenticate(strangers[3]!)).decision).toBe('no_match'); // fourth: the cap holds
    expect(Number((await authenticate(strangers[4]!)).headers['retry-after'])).toBe(60);

    advance(60);
    expect(body(await authenticate(await transform(own, 'flip'))).decision).toBe('match');
  });

  it('the hard cap locks face login of the claimed employee until an admin unlocks it', async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      expireDelays();
      const res = await verify(stranger, 'L-1');
      expect(body(res).decision).toBe('no_match');
    }
    const employee = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${employeeId}`,
      headers: api.admin,
    });
    expect(body(employee)).toMatchObject({ faceLoginLocked: true });

    expireDelays();
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
    expireDelays();
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

  it('throttles password guessing per username and address without blocking kiosks', async () => {
    expireDelays();
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
    expireDelays();
    // Threshold 4 (set above): four different strangers at once must put the door into its delay.
    const results = await Promise.all(strangers.slice(0, 4).map((photo) => authenticate(photo)));
    expect(results.map((r) => body(r).decision)).toEqual(['no_match', 'no_match', 'no_match', 'no_match']);
    expect(errorCode(await authenticate(await transform(own, 'flip')))).toBe('LOCKED_OUT');
  });
});
