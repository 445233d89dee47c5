import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, type TransformKind, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createKey,
  createUser,
  enrollEmployee,
  errorCode,
  imagePost,
  login,
  METRICS_AUTH,
  openStaffedApi,
  PASSWORD,
  type StaffedApi,
} from '../api/api-test-kit.js';

/**
 * The kiosk and password lockouts attacked the way a stranger would: by showing many unknown faces, by retrying
 * one face, by sending attempts in parallel, and by guessing an administrator's password to lock them out.
 * Time passes on a fake auth clock; the engine, the store and the HTTP stack are real.
 */

const THRESHOLD = 3;
const MAX_KIOSK_DELAY = 60;

let api: StaffedApi;
let nowMs = Date.now();
/** Headers of a second kiosk, at another door. */
let otherKiosk: Record<string, string>;
/** Alice and Beth are enrolled; their photos here are transforms of their enrolment photos. */
let alice: Buffer;
let beth: Buffer;
/** Ten distinct people who are not enrolled. */
let strangers: Buffer[];

function advance(seconds: number): void {
  nowMs += seconds * 1000;
}

/** A fresh start: every delay and the 900-s failure window are over. */
function nextDay(): void {
  advance(1000);
}

/** One attempt from a door; a 503 from the event-loop guard (a busy test machine) is retried. */
async function authenticate(
  photo: Buffer,
  headers = api.kiosk,
  remoteAddress = '192.0.2.10',
): Promise<LightMyRequestResponse> {
  for (let tries = 1; ; tries++) {
    const res = await api.server.inject({ ...imagePost('/v1/authenticate', photo, headers), remoteAddress });
    if (res.statusCode !== 503 || tries === 5) return res;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const decision = (res: LightMyRequestResponse) => body<{ decision?: string }>(res).decision;
const retryAfter = (res: LightMyRequestResponse) => Number(res.headers['retry-after']);

beforeAll(async () => {
  api = await openStaffedApi(
    {
      security: {
        lockoutThreshold: THRESHOLD,
        lockoutBaseDelaySeconds: 30,
        lockoutHardCap: 20,
        impostorAlarmRate: 0.5,
        impostorAlarmMinSamples: 6,
        impostorAlarmWindowSeconds: 600,
      },
    },
    () => new Date(nowMs),
  );
  otherKiosk = bearer((await createKey(api, api.adminToken, 'kiosk', 'lobby kiosk')).secret);
  const aliceEnrolment = await faceCrop('s4-0');
  const bethEnrolment = await faceCrop('s1-1');
  await enrollEmployee(api, api.admin, { badge: 'A-1', firstName: 'Alice', lastName: 'A' }, aliceEnrolment);
  await enrollEmployee(api, api.admin, { badge: 'B-1', firstName: 'Beth', lastName: 'B' }, bethEnrolment);
  alice = await transform(aliceEnrolment, 'flip');
  beth = await transform(bethEnrolment, 'flip');
  strangers = await Promise.all(
    ['s5-0', 's1-0', 's2-0', 's6-0', 's3-2', 's3-0', 's4-3', 's5-3', 's6-3', 's1-2'].map(faceCrop),
  );
});
afterAll(async () => {
  await api?.close();
});

describe('kiosk lockout under attack', () => {
  it('a stream of unknown faces holds an employee up for at most the capped delay', async () => {
    nextDay();
    // Seven strangers: enough for the old doubling (30, 60, 120 s...) to pass the cap.
    for (const photo of strangers.slice(0, 7)) {
      let res = await authenticate(photo);
      while (res.statusCode === 429) {
        expect(retryAfter(res)).toBeLessThanOrEqual(MAX_KIOSK_DELAY);
        advance(retryAfter(res));
        res = await authenticate(photo);
      }
      expect(decision(res)).toBe('no_match');
    }
    // Another door is not slowed at all by this one.
    expect(decision(await authenticate(beth, otherKiosk, '192.0.2.20'))).toBe('match');
    // Alice at the attacked door waits one capped delay at most, and gets in.
    const held = await authenticate(alice);
    expect(errorCode(held)).toBe('LOCKED_OUT');
    expect(retryAfter(held)).toBeLessThanOrEqual(MAX_KIOSK_DELAY);
    advance(retryAfter(held));
    expect(decision(await authenticate(alice))).toBe('match');
  }, 120_000);

  it("an employee's match does not reset the door's failures", async () => {
    nextDay();
    for (const photo of strangers.slice(0, THRESHOLD - 1))
      expect(decision(await authenticate(photo))).toBe('no_match');
    expect(decision(await authenticate(alice))).toBe('match');
    expect(decision(await authenticate(strangers[5]!))).toBe('no_match');
    const held = await authenticate(alice);
    expect(errorCode(held)).toBe('LOCKED_OUT');
    expect(retryAfter(held)).toBeLessThanOrEqual(30);
  });

  it('parallel attempts while the door is in a delay run one at a time, so only one is analysed', async () => {
    nextDay();
    for (const photo of strangers.slice(0, THRESHOLD))
      expect(decision(await authenticate(photo))).toBe('no_match');
    advance(30); // the first delay is over; the door is still in its delay regime
    const burst = await Promise.all(strangers.slice(3, 7).map((photo) => authenticate(photo)));
    const analysed = burst.filter((res) => res.statusCode === 200);
    expect(analysed.map(decision)).toEqual(['no_match']);
    expect(burst.filter((res) => errorCode(res) === 'LOCKED_OUT')).toHaveLength(3);
  });

  it('one impostor retrying the same face is slowed alone while employees at the same door get in', async () => {
    nextDay();
    const base = strangers[0]!;
    const kinds: TransformKind[] = ['flip', 'recompress', 'crop', 'grayscale', 'webp'];
    const tries = [base, ...(await Promise.all(kinds.map((kind) => transform(base, kind))))];
    for (const photo of tries.slice(0, THRESHOLD)) {
      expect(decision(await authenticate(photo))).toBe('no_match');
      expect(decision(await authenticate(alice))).toBe('match');
    }
    const slowed = await authenticate(tries[3]!);
    expect(errorCode(slowed)).toBe('LOCKED_OUT');
    expect(retryAfter(slowed)).toBeGreaterThanOrEqual(29);
    // Same door, same moment: Alice and Beth are not held up by the impostor.
    expect(decision(await authenticate(alice))).toBe('match');
    expect(decision(await authenticate(beth))).toBe('match');
    // The impostor's own delay keeps growing, past the door's cap.
    advance(retryAfter(slowed));
    expect(decision(await authenticate(tries[3]!))).toBe('no_match');
    advance(60);
    expect(decision(await authenticate(tries[4]!))).toBe('no_match');
    const longer = await authenticate(tries[5]!);
    expect(errorCode(longer)).toBe('LOCKED_OUT');
    expect(retryAfter(longer)).toBeGreaterThan(MAX_KIOSK_DELAY);
    expect(decision(await authenticate(beth))).toBe('match');
  });

  it('a high share of no_match across kiosks raises the impostor alarm once per window', async () => {
    advance(700); // the previous alarm window is over
    const audit = async () =>
      (await api.app.store.audit.query({ action: 'security.impostor_alarm', limit: 1000 })).items;
    const before = (await audit()).length;
    // Many doors, one stranger each: no door is slowed, but the share of no_match is all but 100 %.
    for (let i = 0; i < 8; i++) {
      expect(decision(await authenticate(strangers[i]!, api.admin, `198.51.100.${i + 1}`))).toBe('no_match');
    }
    const alarms = await audit();
    expect(alarms.length - before).toBe(1);
    expect(alarms[0]).toMatchObject({ outcome: 'alarm', reason: 'IMPOSTOR_RATE' });
    const metrics = await api.server.inject({ method: 'GET', url: '/metrics', headers: METRICS_AUTH });
    expect(metrics.body).toMatch(/^facegate_impostor_alarm 1$/m);
    expect(metrics.body).toMatch(/^facegate_impostor_alarms_raised [1-9]/m);
  });
});

describe('admin password throttle under attack', () => {
  const attempt = (username: string, password: string, remoteAddress: string) =>
    api.server.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress,
      payload: { username, password, session: 'bearer' },
    });

  it('an admin locked out from one address still signs in from another', async () => {
    await createUser(api, api.adminToken, 'ops', 'admin');
    for (let i = 0; i < THRESHOLD; i++) {
      expect(errorCode(await attempt('ops', 'not the password!', '203.0.113.9'))).toBe('UNAUTHENTICATED');
    }
    const blocked = await attempt('ops', PASSWORD, '203.0.113.9');
    expect(errorCode(blocked)).toBe('LOCKED_OUT');
    expect(retryAfter(blocked)).toBeGreaterThan(0);
    expect((await attempt('ops', PASSWORD, '198.51.100.7')).statusCode).toBe(200);
  });

  it('guessing from many addresses is paced, never refused for the owner', async () => {
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      expect(errorCode(await attempt('ops', 'not the password!', `203.0.113.${20 + i}`))).toBe(
        'UNAUTHENTICATED',
      );
    }
    // About one attempt a second per username, whatever the address.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect((await attempt('ops', PASSWORD, '198.51.100.7')).statusCode).toBe(200);
  });

  it('the password change is throttled like a login', async () => {
    await createUser(api, api.adminToken, 'pat', 'enroller');
    const session = bearer(await login(api, 'pat'));
    const change = (currentPassword: string) =>
      api.server.inject({
        method: 'POST',
        url: '/v1/auth/password',
        headers: session,
        remoteAddress: '203.0.113.50',
        payload: { currentPassword, newPassword: 'a brand new passphrase' },
      });
    for (let i = 0; i < THRESHOLD; i++) {
      expect(errorCode(await change('guessed password 1'))).toBe('UNAUTHENTICATED');
    }
    const blocked = await change(PASSWORD);
    expect(errorCode(blocked)).toBe('LOCKED_OUT');
    expect(retryAfter(blocked)).toBeGreaterThan(0);
  });
});
