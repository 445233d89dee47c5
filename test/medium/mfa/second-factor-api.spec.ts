import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_TOKEN_TTL_MS } from '../../../src/auth/mfa/step-tokens.js';
import { SoftAuthenticator } from '../../../src/auth/mfa/testing/soft-authenticator.js';
import { TOTP_STEP_MS, totpCodeAt } from '../../../src/auth/mfa/totp.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createEmployee,
  errorCode,
  formPost,
  imagePost,
  METRICS_AUTH,
  openStaffedApi,
  PASSWORD,
  type StaffedApi,
  uploadFaces,
} from '../api/api-test-kit.js';

let api: StaffedApi;
let nowMs = Date.parse('2026-03-01T10:00:05Z');
/** Employee with role `guard` (the policy asks any factor of guards) and one without a role. */
let guard: { id: string; face: Buffer };
let clerk: { id: string; face: Buffer };
let totpSecret: string;
let recoveryCodes: string[];

const now = () => new Date(nowMs);
/** Moves the clock on by `ms` (steps, TOTP windows, lockout delays). */
const advance = (ms: number) => {
  nowMs += ms;
};

interface Step {
  stepToken: string;
  expiresAt: string;
  allowed: string[];
  passkeyOptions: { challenge: string } | null;
}

interface Decision {
  decision: string;
  token?: string;
  secondFactor?: Step;
  amr?: string[];
  employee?: { id: string };
}

/** One kiosk attempt; a 503 from the event-loop guard (busy machine) is retried. */
async function authenticate(photo: Buffer): Promise<LightMyRequestResponse> {
  for (let tries = 1; ; tries++) {
    const res = await api.server.inject(imagePost('/v1/authenticate', photo, api.kiosk));
    if (res.statusCode !== 503 || tries === 5) return res;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Face login of `who` that must stop at the second factor; returns the step. */
async function faceStep(who: { face: Buffer }): Promise<Step> {
  const res = await authenticate(who.face);
  const answer = body<Decision>(res);
  expect(answer.decision).toBe('second_factor_required');
  expect(answer.token).toBeUndefined();
  return answer.secondFactor as Step;
}

function secondFactor(payload: Record<string, unknown>, headers = api.kiosk) {
  return api.server.inject({ method: 'POST', url: '/v1/authenticate/second-factor', headers, payload });
}

/** The claims of a JWT (no signature check: the token service's own tests cover it). */
function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

async function putSettings(mfa: Record<string, unknown>) {
  const res = await api.server.inject({
    method: 'PUT',
    url: '/v1/settings',
    headers: api.admin,
    payload: { mfa },
  });
  expect(res.statusCode, res.body).toBe(200);
  return body<{ mfa: unknown }>(res);
}

/** The face-login counters of `/metrics` that a second factor changes. */
async function decisionMetrics(): Promise<{ match: number; required: number; stepsMatched: number }> {
  const res = await api.server.inject({ method: 'GET', url: '/metrics', headers: METRICS_AUTH });
  const value = (pattern: RegExp) => Number(pattern.exec(res.body)?.[1] ?? 0);
  return {
    match: value(/^facegate_decisions_total\{action="authenticate",decision="match"\} (\d+)$/m),
    required: value(
      /^facegate_decisions_total\{action="authenticate",decision="second_factor_required"\} (\d+)$/m,
    ),
    stepsMatched: value(/^facegate_second_factor_steps_total\{outcome="match"\} (\d+)$/m),
  };
}

async function auditCount(action: string, outcome: string): Promise<number> {
  const page = await api.app.store.audit.query({ action, outcome, limit: 500 });
  return page.items.length;
}

async function enrol(badge: string, role: string | null, photo: Buffer): Promise<string> {
  const id = await createEmployee(api, api.admin, { badge, firstName: badge, lastName: 'Test' });
  if (role) {
    const res = await api.server.inject({
      method: 'PATCH',
      url: `/v1/employees/${id}`,
      headers: api.admin,
      payload: { role },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  const res = await uploadFaces(api, api.admin, id, [{ bytes: photo }]);
  expect(body<{ added?: number }>(res).added, res.body).toBe(1);
  return id;
}

beforeAll(async () => {
  api = await openStaffedApi(
    { security: { lockoutThreshold: 2, lockoutHardCap: 4, lockoutBaseDelaySeconds: 30 } },
    now,
  );
  const guardFace = await faceCrop('s4-0');
  const clerkFace = await faceCrop('s1-0');
  guard = { id: await enrol('G-1', 'guard', guardFace), face: await transform(guardFace, 'flip') };
  clerk = { id: await enrol('C-1', null, clerkFace), face: await transform(clerkFace, 'flip') };
});

afterAll(async () => {
  await api?.close();
});

describe('second factor after the face (API)', () => {
  it('by default a face match alone signs a token with amr ["face"]', async () => {
    const answer = body<Decision>(await authenticate(clerk.face));
    expect(answer.decision).toBe('match');
    expect(claims(answer.token ?? '').amr).toEqual(['face']);
  });

  it('applies the per-role policy: guards need a factor, others do not; none enrolled → refused', async () => {
    const settings = await putSettings({ employeeRoles: { guard: { require: 'any' } } });
    expect(settings.mfa).toMatchObject({ employeeRoles: { guard: { require: 'any' } } });
    const bad = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { mfa: { employeeDefault: { require: 'one', kind: 'sms' } } },
    });
    expect(errorCode(bad)).toBe('VALIDATION_FAILED');

    expect(body<Decision>(await authenticate(clerk.face)).decision).toBe('match');
    const refused = await authenticate(guard.face);
    expect(errorCode(refused)).toBe('SECOND_FACTOR_NOT_ENROLLED');
    expect(refused.body).not.toContain('"token"');
  });

  it('enrols TOTP with a QR code, active after one code; recovery codes are shown once', async () => {
    const base = `/v1/employees/${guard.id}/factors`;
    const started = await api.server.inject({
      method: 'POST',
      url: `${base}/totp`,
      headers: api.admin,
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    const enrolment = body<{ factorId: string; secret: string; uri: string; qrCode: string }>(started);
    expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(enrolment.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    totpSecret = enrolment.secret;
    const wrong = await api.server.inject({
      method: 'POST',
      url: `${base}/totp/${enrolment.factorId}/confirm`,
      headers: api.admin,
      payload: { code: '000000' === totpCodeAt(totpSecret, now()) ? '111111' : '000000' },
    });
    expect(errorCode(wrong)).toBe('SECOND_FACTOR_FAILED');
    const confirmed = await api.server.inject({
      method: 'POST',
      url: `${base}/totp/${enrolment.factorId}/confirm`,
      headers: api.admin,
      payload: { code: totpCodeAt(totpSecret, now()) },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    recoveryCodes = body<{ recoveryCodes: string[] }>(confirmed).recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    const list = body<{ factors: Array<{ kind: string; status: string }>; recoveryCodesLeft: number }>(
      await api.server.inject({ method: 'GET', url: base, headers: api.admin }),
    );
    expect(list.factors).toEqual([expect.objectContaining({ kind: 'totp', status: 'active' })]);
    expect(list.recoveryCodesLeft).toBe(10);
    expect(JSON.stringify(list)).not.toContain(totpSecret);
  });

  it('face + correct TOTP → a token with amr ["face","otp"]; the step token works once', async () => {
    advance(TOTP_STEP_MS);
    const step = await faceStep(guard);
    expect(step.allowed).toEqual(['totp', 'recovery']);
    const done = await secondFactor({
      stepToken: step.stepToken,
      kind: 'otp',
      code: totpCodeAt(totpSecret, now()),
    });
    expect(done.statusCode, done.body).toBe(200);
    const answer = body<Decision>(done);
    expect(answer.decision).toBe('match');
    expect(answer.employee?.id).toBe(guard.id);
    expect(answer.amr).toEqual(['face', 'otp']);
    expect(claims(answer.token ?? '')).toMatchObject({
      sub: guard.id,
      amr: ['face', 'otp'],
      method: 'authenticate',
    });

    advance(TOTP_STEP_MS);
    const again = await secondFactor({
      stepToken: step.stepToken,
      kind: 'otp',
      code: totpCodeAt(totpSecret, now()),
    });
    expect(errorCode(again)).toBe('STEP_TOKEN_INVALID');
  });

  it('shows no welcome photo before the second factor', async () => {
    const on = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { kioskShowPhoto: true },
    });
    expect(on.statusCode, on.body).toBe(200);
    const clerkAnswer = body<{ employee?: { photoUrl?: string } }>(await authenticate(clerk.face));
    expect(clerkAnswer.employee?.photoUrl).toBeDefined();
    const res = await authenticate(guard.face);
    expect(body<Decision>(res).decision).toBe('second_factor_required');
    expect(body<{ employee?: { photoUrl?: string } }>(res).employee?.photoUrl).toBeUndefined();
  });

  it('/metrics counts a match waiting for its factor as second_factor_required, the completed step as the match', async () => {
    const before = await decisionMetrics();
    advance(TOTP_STEP_MS);
    const step = await faceStep(guard);
    const middle = await decisionMetrics();
    expect(middle.required).toBe(before.required + 1);
    expect(middle.match).toBe(before.match);
    const done = await secondFactor({
      stepToken: step.stepToken,
      kind: 'otp',
      code: totpCodeAt(totpSecret, now()),
    });
    expect(done.statusCode, done.body).toBe(200);
    const after = await decisionMetrics();
    expect(after.match).toBe(before.match + 1);
    expect(after.required).toBe(middle.required);
    expect(after.stepsMatched).toBe(before.stepsMatched + 1);
  });

  it('a wrong, replayed or expired TOTP is refused and audited', async () => {
    const failuresBefore = await auditCount('mfa.step', 'failure');
    const used = totpCodeAt(totpSecret, new Date(nowMs - TOTP_STEP_MS));
    for (const code of [
      used, // replayed: accepted once already, still inside the window
      used === '123456' ? '654321' : '123456',
      totpCodeAt(totpSecret, new Date(nowMs - 10 * TOTP_STEP_MS)), // expired
    ]) {
      const step = await faceStep(guard);
      const res = await secondFactor({ stepToken: step.stepToken, kind: 'otp', code });
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('SECOND_FACTOR_FAILED');
      expect(res.body).not.toContain('"token"');
      advance(31_000); // past the lockout delay of the second failure
    }
    expect(await auditCount('mfa.step', 'failure')).toBe(failuresBefore + 3);
  });

  it('refuses a step token after it expired, and from another caller', async () => {
    advance(15 * 60_000);
    const step = await faceStep(guard);
    advance(STEP_TOKEN_TTL_MS + 1000);
    const late = await secondFactor({
      stepToken: step.stepToken,
      kind: 'otp',
      code: totpCodeAt(totpSecret, now()),
    });
    expect(errorCode(late)).toBe('STEP_TOKEN_INVALID');

    const other = await faceStep(guard);
    const stolen = await secondFactor(
      { stepToken: other.stepToken, kind: 'otp', code: totpCodeAt(totpSecret, now()) },
      api.admin,
    );
    expect(errorCode(stolen)).toBe('STEP_TOKEN_INVALID');
  });

  it('a recovery code works once', async () => {
    const code = recoveryCodes[0] ?? '';
    const first = await secondFactor({
      stepToken: (await faceStep(guard)).stepToken,
      kind: 'recovery',
      code,
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(body<Decision>(first).amr).toEqual(['face', 'otp']);
    const second = await secondFactor({
      stepToken: (await faceStep(guard)).stepToken,
      kind: 'recovery',
      code,
    });
    expect(errorCode(second)).toBe('SECOND_FACTOR_FAILED');
    const list = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${guard.id}/factors`,
      headers: api.admin,
    });
    expect(body<{ recoveryCodesLeft: number }>(list).recoveryCodesLeft).toBe(9);
  });

  it('1:1 verify asks the second factor too', async () => {
    advance(15 * 60_000);
    const res = await api.server.inject(
      formPost('/v1/verify', api.kiosk, [{ bytes: guard.face }], { employee: 'G-1' }),
    );
    const answer = body<Decision>(res);
    expect(answer.decision).toBe('second_factor_required');
    const done = await secondFactor({
      stepToken: answer.secondFactor?.stepToken ?? '',
      kind: 'totp',
      code: totpCodeAt(totpSecret, now()),
    });
    expect(claims(body<Decision>(done).token ?? '')).toMatchObject({
      method: 'verify',
      amr: ['face', 'otp'],
    });
  });

  it('a wrong PIN counts toward the lockout: delay, then face login locked at the hard cap', async () => {
    await putSettings({ employeeDefault: { require: 'one', kind: 'pin' } });
    const pin = await api.server.inject({
      method: 'PUT',
      url: `/v1/employees/${clerk.id}/factors/pin`,
      headers: api.admin,
      payload: { pin: '739184' },
    });
    expect(pin.statusCode, pin.body).toBe(204);
    const trivial = await api.server.inject({
      method: 'PUT',
      url: `/v1/employees/${clerk.id}/factors/pin`,
      headers: api.admin,
      payload: { pin: '123456' },
    });
    expect(errorCode(trivial)).toBe('VALIDATION_FAILED');

    const ok = await secondFactor({
      stepToken: (await faceStep(clerk)).stepToken,
      kind: 'pin',
      code: '739184',
    });
    expect(body<Decision>(ok).amr).toEqual(['face', 'pin']);

    for (let i = 0; i < 2; i++) {
      const res = await secondFactor({
        stepToken: (await faceStep(clerk)).stepToken,
        kind: 'pin',
        code: '000111',
      });
      expect(errorCode(res)).toBe('SECOND_FACTOR_FAILED');
    }
    // Threshold 2 reached: even the right PIN waits out the delay.
    const waiting = await secondFactor({
      stepToken: (await faceStep(clerk)).stepToken,
      kind: 'pin',
      code: '739184',
    });
    expect(errorCode(waiting)).toBe('LOCKED_OUT');
    advance(31_000);
    const wrong = await secondFactor({
      stepToken: (await faceStep(clerk)).stepToken,
      kind: 'pin',
      code: '000111',
    });
    expect(errorCode(wrong)).toBe('SECOND_FACTOR_FAILED');
    advance(61_000);
    await secondFactor({ stepToken: (await faceStep(clerk)).stepToken, kind: 'pin', code: '000111' });
    // Hard cap 4: face login is locked until an admin clears it.
    const employee = await api.app.store.employees.get(clerk.id);
    expect(employee?.faceLoginLocked).toBe(true);
    expect(await auditCount('lockout.hard', 'locked')).toBeGreaterThan(0);
  });

  it('a passkey through the software authenticator: face + key → amr ["face","hwk"]', async () => {
    const { rpId, origins } = api.app.config.webauthn;
    const key = new SoftAuthenticator({ origin: origins[0] ?? '' });
    const base = `/v1/employees/${guard.id}/factors`;
    const options = await api.server.inject({
      method: 'POST',
      url: `${base}/passkey/options`,
      headers: api.admin,
    });
    expect(options.statusCode, options.body).toBe(200);
    const registered = await api.server.inject({
      method: 'POST',
      url: `${base}/passkey`,
      headers: api.admin,
      payload: { response: key.register(body(options) as never), label: 'YubiKey' },
    });
    expect(registered.statusCode, registered.body).toBe(201);
    await putSettings({ employeeRoles: { guard: { require: 'one', kind: 'webauthn' } } });

    advance(15 * 60_000);
    const step = await faceStep(guard);
    expect(step.allowed).toContain('webauthn');
    const fresh = await api.server.inject({
      method: 'POST',
      url: '/v1/authenticate/second-factor/options',
      headers: api.kiosk,
      payload: { stepToken: step.stepToken },
    });
    const challenge = body<Step>(fresh).passkeyOptions?.challenge ?? '';
    expect(challenge).not.toBe('');
    const done = await secondFactor({
      stepToken: step.stepToken,
      kind: 'webauthn',
      assertion: key.assert({ challenge }, rpId),
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(body<Decision>(done).amr).toEqual(['face', 'hwk']);
  });

  it('an admin resets a lost device: the factor is gone and the policy refuses until re-enrolled', async () => {
    const reset = await api.server.inject({
      method: 'DELETE',
      url: `/v1/employees/${guard.id}/factors?kinds=webauthn`,
      headers: api.admin,
    });
    expect(body<{ removed: number }>(reset).removed).toBeGreaterThanOrEqual(1);
    expect(errorCode(await authenticate(guard.face))).toBe('SECOND_FACTOR_NOT_ENROLLED');
  });
});

describe('console sign-in with a second factor', () => {
  async function passwordLogin() {
    return api.server.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'admin', password: PASSWORD, session: 'bearer' },
    });
  }

  it('an admin who enrolled TOTP must present it after the password', async () => {
    expect(body(await passwordLogin()).token).toBeDefined();
    const started = body<{ factorId: string; secret: string }>(
      await api.server.inject({
        method: 'POST',
        url: '/v1/auth/me/factors/totp',
        headers: api.admin,
        payload: {},
      }),
    );
    const confirmed = await api.server.inject({
      method: 'POST',
      url: `/v1/auth/me/factors/totp/${started.factorId}/confirm`,
      headers: api.admin,
      payload: { code: totpCodeAt(started.secret, now()) },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    advance(TOTP_STEP_MS);

    const first = body<{ token?: string; secondFactor?: Step }>(await passwordLogin());
    expect(first.token).toBeUndefined();
    expect(first.secondFactor?.allowed).toEqual(['totp', 'recovery']);
    const complete = (code: string, stepToken = first.secondFactor?.stepToken ?? '') =>
      api.server.inject({
        method: 'POST',
        url: '/v1/auth/login/second-factor',
        payload: { stepToken, kind: 'otp', code, session: 'bearer' },
      });
    const code = totpCodeAt(started.secret, now());
    const wrong = await complete(code === '000000' ? '111111' : '000000');
    expect(errorCode(wrong)).toBe('SECOND_FACTOR_FAILED');

    const second = body<{ secondFactor?: Step }>(await passwordLogin());
    const signedIn = await complete(code, second.secondFactor?.stepToken);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const token = body<{ token: string }>(signedIn).token;
    const me = await api.server.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(token) });
    expect(body<{ actor: { name: string } }>(me).actor.name).toBe('admin');
  });
});
