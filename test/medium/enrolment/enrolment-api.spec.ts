import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createEmployee,
  createUser,
  errorCode,
  imagePost,
  login,
  type StaffedApi,
} from '../api/api-test-kit.js';
import {
  consent,
  HAS_CLIPS,
  HEAD_TURN,
  invite,
  type LiveMaterial,
  liveMaterial,
  openEnrolmentApi,
  passChallenge,
  submit,
} from './enrolment-kit.js';

let api: StaffedApi;
/** Moves the services' clock (invitation expiry). */
let offsetMs = 0;

beforeAll(async () => {
  api = await openEnrolmentApi(() => new Date(Date.now() + offsetMs));
}, 120_000);

afterAll(async () => {
  await api?.close();
});

interface Submission {
  id: string;
  status: string;
  employee: { badge: string };
  invitation: { invitedBy: string };
  checks: { duplicate: { badge: string | null } | null; liveness: { outcome: string } };
  photoCount: number;
}

async function queue(): Promise<Submission[]> {
  const res = await api.server.inject({
    method: 'GET',
    url: '/v1/enrolment/submissions',
    headers: api.admin,
  });
  expect(res.statusCode, res.body).toBe(200);
  return body<{ items: Submission[] }>(res).items;
}

async function actions(): Promise<string[]> {
  const { items } = await api.app.store.audit.query({ limit: 1000 });
  return items.map((e) => `${e.action}:${e.outcome}`);
}

describe('invitations', () => {
  it('an enroller invites; the link opens with the first name and consent; only a hash of the token is stored', async () => {
    await createUser(api, api.adminToken, 'enrol1', 'enroller');
    const enroller = bearer(await login(api, 'enrol1'));
    await createEmployee(api, api.admin, { badge: 'I-1', firstName: 'Ines', lastName: 'Vite' });
    const [token = ''] = await invite(api, ['I-1'], enroller);
    const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
    expect(page.statusCode).toBe(200);
    expect(body(page)).toMatchObject({
      firstName: 'Ines',
      status: 'open',
      consentAccepted: false,
      captureAvailable: true,
      submission: null,
    });
    const list = await api.server.inject({
      method: 'GET',
      url: '/v1/invitations?employee=I-1',
      headers: enroller,
    });
    const [listed] = body<{ items: Array<Record<string, unknown>> }>(list).items;
    expect(listed).toMatchObject({ status: 'open', employee: { badge: 'I-1' } });
    expect(JSON.stringify(body(list))).not.toContain(token);
    const stored = await api.app.store.invitations?.list({ limit: 10, offset: 0 });
    expect(stored?.every((i) => i.tokenHash !== token && i.tokenHash.length === 64)).toBe(true);
    // A kiosk key may not invite.
    const kiosk = await api.server.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: api.kiosk,
      payload: { employees: ['I-1'] },
    });
    expect(errorCode(kiosk)).toBe('FORBIDDEN');
  });

  it('an expired, revoked or unknown link is refused with its code, and the refusal is audited', async () => {
    await createEmployee(api, api.admin, { badge: 'I-2', firstName: 'Exp', lastName: 'Ired' });
    const [revoked = ''] = await invite(api, ['I-2']);
    const listed = await api.server.inject({
      method: 'GET',
      url: '/v1/invitations?employee=I-2',
      headers: api.admin,
    });
    const [first] = body<{ items: Array<{ id: string }> }>(listed).items;
    const [expired = ''] = await invite(api, ['I-2']);
    const revoke = await api.server.inject({
      method: 'POST',
      url: `/v1/invitations/${first?.id}/revoke`,
      headers: api.admin,
    });
    expect(body(revoke)).toMatchObject({ status: 'revoked' });
    const again = await api.server.inject({
      method: 'POST',
      url: `/v1/invitations/${first?.id}/revoke`,
      headers: api.admin,
    });
    expect(errorCode(again)).toBe('CONFLICT');
    const revokedPage = await api.server.inject({ method: 'GET', url: `/v1/enrol/${revoked}` });
    expect(revokedPage.statusCode).toBe(409);
    expect(errorCode(revokedPage)).toBe('INVITATION_REVOKED');
    expect((await api.server.inject({ method: 'GET', url: `/v1/enrol/${expired}` })).statusCode).toBe(200);
    offsetMs = 8 * 86_400_000; // the default validity is 7 days
    try {
      const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${expired}` });
      expect(page.statusCode).toBe(409);
      expect(errorCode(page)).toBe('INVITATION_EXPIRED');
      const challenge = await api.server.inject({
        method: 'POST',
        url: `/v1/enrol/${expired}/challenge`,
        payload: {},
      });
      expect(errorCode(challenge)).toBe('INVITATION_EXPIRED');
    } finally {
      offsetMs = 0;
    }
    const unknown = await api.server.inject({ method: 'GET', url: `/v1/enrol/${'A'.repeat(32)}` });
    expect(unknown.statusCode).toBe(404);
    const { items } = await api.app.store.audit.query({ action: 'enrolment.access' });
    expect(items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['INVITATION_REVOKED', 'INVITATION_EXPIRED', 'NOT_FOUND']),
    );
    expect(await actions()).toEqual(
      expect.arrayContaining(['enrolment.invite:success', 'enrolment.revoke:success']),
    );
  });

  it('a submission without a passed challenge is refused (LIVENESS_REQUIRED), as is a challenge before consent', async () => {
    await createEmployee(api, api.admin, { badge: 'I-3', firstName: 'No', lastName: 'Challenge' });
    const [token = ''] = await invite(api, ['I-3']);
    const early = await api.server.inject({
      method: 'POST',
      url: `/v1/enrol/${token}/challenge`,
      payload: {},
    });
    expect(errorCode(early)).toBe('CONFLICT');
    await consent(api, token);
    const photo = await faceCrop('s1-0');
    const res = await submit(api, token, [photo, photo, photo]);
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('LIVENESS_REQUIRED');
    // An issued but unanswered challenge is not a pass either.
    const challenge = await api.server.inject({
      method: 'POST',
      url: `/v1/enrol/${token}/challenge`,
      payload: {},
    });
    expect(challenge.statusCode).toBe(201);
    expect(errorCode(await submit(api, token, [photo, photo, photo]))).toBe('LIVENESS_REQUIRED');
    const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
    expect(body(page)).toMatchObject({ status: 'open', consentAccepted: true, submission: null });
    expect(await api.app.store.enrolmentSubmissions?.list({ limit: 10, offset: 0 })).toEqual([]);
    const { items } = await api.app.store.audit.query({ action: 'enrolment.submit' });
    expect(items.some((e) => e.outcome === 'refused' && e.reason === 'LIVENESS_REQUIRED')).toBe(true);
    expect(await actions()).toContain('enrolment.consent:success');
  });

  it('the anonymous link routes are rate limited per client address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await api.server.inject({
        method: 'GET',
        url: `/v1/enrol/${'B'.repeat(32)}`,
        remoteAddress: '10.9.9.9',
      });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 30).every((c) => c === 404)).toBe(true);
    expect(codes.at(-1)).toBe(429);
  });

  it('settings: consent text versions, auto-approve off by default; enrollers read but do not change them', async () => {
    const read = await api.server.inject({
      method: 'GET',
      url: '/v1/enrolment/settings',
      headers: api.admin,
    });
    expect(body(read)).toMatchObject({
      autoApprove: false,
      consent: { version: '1' },
      captureAvailable: true,
    });
    const put = await api.server.inject({
      method: 'PUT',
      url: '/v1/enrolment/settings',
      headers: api.admin,
      payload: { consentText: 'Our own consent text: photos are kept until you leave.' },
    });
    expect(body(put)).toMatchObject({ consent: { version: '2' }, autoApprove: false });
    const enroller = bearer(await login(api, 'enrol1'));
    const read2 = await api.server.inject({
      method: 'GET',
      url: '/v1/enrolment/settings',
      headers: enroller,
    });
    expect(body(read2)).toMatchObject({ consent: { version: '2' } });
    const denied = await api.server.inject({
      method: 'PUT',
      url: '/v1/enrolment/settings',
      headers: enroller,
      payload: { autoApprove: true },
    });
    expect(errorCode(denied)).toBe('FORBIDDEN');
    expect(await actions()).toContain('enrolment.settings:success');
  });
});

describe.skipIf(!HAS_CLIPS)(`with a real head turn (${HEAD_TURN}; skipped when absent)`, () => {
  let live: LiveMaterial;

  beforeAll(async () => {
    live = await liveMaterial(api);
    expect(live.captures.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('consent → challenge → captures: pending, nothing matches until approval; approval makes the face match; the link is then used', async () => {
    const id = await createEmployee(api, api.admin, { badge: 'Z-1', firstName: 'Zed', lastName: 'Self' });
    const [token = ''] = await invite(api, ['Z-1']);
    await consent(api, token);
    await passChallenge(api, token, live);
    const captures = live.captures.slice(0, 3);
    const res = await submit(api, token, captures);
    expect(res.statusCode, res.body).toBe(200);
    expect(body(res)).toMatchObject({ outcome: 'submitted', status: 'pending' });
    const probe = live.captures.at(-1) ?? captures[0];
    const before = await api.server.inject(imagePost('/v1/authenticate', probe as Buffer, api.kiosk));
    expect(body<{ decision: string }>(before).decision).toBe('no_match');
    // The link is used: a second submission is refused, the page shows the outcome.
    expect(errorCode(await submit(api, token, captures))).toBe('INVITATION_USED');
    const [submission] = (await queue()).filter((s) => s.employee.badge === 'Z-1');
    expect(submission).toMatchObject({
      status: 'pending',
      photoCount: 3,
      invitation: { invitedBy: 'admin' },
    });
    expect(submission?.checks.liveness.outcome).toBe('pass');
    const photo = await api.server.inject({
      method: 'GET',
      url: `/v1/enrolment/submissions/${submission?.id}/photos/0`,
      headers: api.admin,
    });
    expect(photo.headers['content-type']).toBe('image/jpeg');
    const approve = await api.server.inject({
      method: 'POST',
      url: `/v1/enrolment/submissions/${submission?.id}/approve`,
      headers: api.admin,
      payload: {},
    });
    expect(approve.statusCode, approve.body).toBe(200);
    expect(body(approve)).toMatchObject({ status: 'approved', photoCount: 0, reviewer: 'admin' });
    const after = await api.server.inject(imagePost('/v1/authenticate', probe as Buffer, api.kiosk));
    expect(body(after)).toMatchObject({ decision: 'match', employee: { id } });
    const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
    expect(body(page)).toMatchObject({ status: 'used', submission: { status: 'approved' } });
    const log = await actions();
    for (const step of [
      'enrolment.invite:success',
      'enrolment.consent:success',
      'enrolment.liveness:success',
      'enrolment.submit:success',
      'enroll:success',
      'enrolment.approve:success',
      'enrolment.access:refused',
    ]) {
      expect(log, step).toContain(step);
    }
  }, 240_000);

  it('the same face through another employee’s link is held for review; rejection erases the photos', async () => {
    await createEmployee(api, api.admin, { badge: 'Z-2', firstName: 'Other', lastName: 'Person' });
    const [token = ''] = await invite(api, ['Z-2']);
    await consent(api, token);
    await passChallenge(api, token, live);
    // Other bytes of the same face: the approved captures of Z-1 are kept photos of its templates.
    const recoded = await Promise.all(
      live.captures.slice(0, 3).map((c) => sharp(c).jpeg({ quality: 88 }).toBuffer()),
    );
    const res = await submit(api, token, recoded);
    expect(body(res)).toMatchObject({ outcome: 'submitted', status: 'held' });
    const [held] = (await queue()).filter((s) => s.employee.badge === 'Z-2');
    expect(held?.checks.duplicate?.badge).toBe('Z-1');
    const stored = await api.app.store.enrolmentSubmissions?.get(held?.id ?? '');
    const keys = stored?.photoKeys ?? [];
    expect(keys.length).toBe(3);
    for (const key of keys) expect(await api.app.blobs.has(key)).toBe(true);
    const noReason = await api.server.inject({
      method: 'POST',
      url: `/v1/enrolment/submissions/${held?.id}/reject`,
      headers: api.admin,
      payload: { reason: '' },
    });
    expect(errorCode(noReason)).toBe('VALIDATION_FAILED');
    const reject = await api.server.inject({
      method: 'POST',
      url: `/v1/enrolment/submissions/${held?.id}/reject`,
      headers: api.admin,
      payload: { reason: 'This face is already enrolled for someone else' },
    });
    expect(body(reject)).toMatchObject({ status: 'rejected', photoCount: 0 });
    for (const key of keys) expect(await api.app.blobs.has(key)).toBe(false);
    const photo = await api.server.inject({
      method: 'GET',
      url: `/v1/enrolment/submissions/${held?.id}/photos/0`,
      headers: api.admin,
    });
    expect(photo.statusCode).toBe(404);
    const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
    expect(body(page)).toMatchObject({
      submission: { status: 'rejected', reason: 'This face is already enrolled for someone else' },
    });
    const { items } = await api.app.store.audit.query({ action: 'enrolment.submit' });
    expect(items.some((e) => e.reason === 'DUPLICATE_FACE')).toBe(true);
    expect(await actions()).toContain('enrolment.reject:success');
  }, 240_000);

  it('auto-approval never takes a held submission', async () => {
    await api.server.inject({
      method: 'PUT',
      url: '/v1/enrolment/settings',
      headers: api.admin,
      payload: { autoApprove: true },
    });
    try {
      await createEmployee(api, api.admin, { badge: 'Z-4', firstName: 'Auto', lastName: 'Held' });
      const [token = ''] = await invite(api, ['Z-4']);
      await consent(api, token);
      await passChallenge(api, token, live);
      const recoded = await Promise.all(
        live.captures.slice(0, 3).map((c) => sharp(c).jpeg({ quality: 80 }).toBuffer()),
      );
      expect(body(await submit(api, token, recoded))).toMatchObject({ outcome: 'submitted', status: 'held' });
    } finally {
      await api.server.inject({
        method: 'PUT',
        url: '/v1/enrolment/settings',
        headers: api.admin,
        payload: { autoApprove: false },
      });
    }
  }, 240_000);

  it('captures of another face than the one that passed the challenge come back to retake', async () => {
    await createEmployee(api, api.admin, { badge: 'Z-3', firstName: 'Swap', lastName: 'Face' });
    const [token = ''] = await invite(api, ['Z-3']);
    await consent(api, token);
    await passChallenge(api, token, live);
    const other = await faceCrop('s1-0');
    const res = await submit(api, token, [...live.captures.slice(0, 2), other]);
    const result = body<{
      outcome: string;
      photos: Array<{ accepted: boolean; reasons: Array<{ code: string }> }>;
    }>(res);
    expect(result.outcome).toBe('retake');
    expect(result.photos[2]?.reasons.map((r) => r.code)).toContain('FACE_MISMATCH');
    // The pass is kept for the retake: the same link still accepts the right captures.
    expect(body(await submit(api, token, live.captures.slice(0, 3)))).toMatchObject({ outcome: 'submitted' });
  }, 240_000);
});
