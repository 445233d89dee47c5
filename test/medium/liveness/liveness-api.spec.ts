import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeKeyFrames } from '../../../src/liveness/frame-decoder.js';
import { heldPhoto, TURNS } from '../../fixtures/held-photo.js';
import { faceCrop, faceCrops, samplePhotoPath } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createKey,
  enrollEmployee,
  errorCode,
  formPost,
  imagePost,
  openStaffedApi,
  type StaffedApi,
} from '../api/api-test-kit.js';

const CLIPS = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'media', 'video');
const STEP = 250;

interface Challenge {
  id: string;
  nonce: string;
  actions: string[];
  expiresAt: string;
}

interface LivenessAnswer {
  decision: string;
  employee?: { badge: string };
  liveness?: {
    outcome: string;
    hint: string | null;
    checks?: Array<{ check: string; passed: boolean; reason: string }>;
  };
}

let api: StaffedApi;
/** Moves the services' clock (challenge expiry). */
let offsetMs = 0;

beforeAll(async () => {
  // Liveness `challenge` as shipped; a high lockout threshold so the many refusals below do not lock the door.
  api = await openStaffedApi(
    { security: { lockoutThreshold: 500, lockoutHardCap: 1000 } },
    () => new Date(Date.now() + offsetMs),
    { livenessDefault: true },
  );
  await enrollEmployee(
    api,
    api.admin,
    { badge: 'L1', firstName: 'Lia', lastName: 'Live' },
    await faceCrop('s1-0'),
  );
}, 120_000);

afterAll(async () => {
  await api?.close();
});

async function issue(headers = api.kiosk, exclude?: string[]): Promise<Challenge> {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/liveness/challenges',
    headers,
    payload: exclude ? { exclude } : {},
  });
  expect(res.statusCode).toBe(201);
  return body<Challenge>(res);
}

/** Posts frames answering `c`, `STEP` ms apart from just after the issue, or at the given times. */
async function answer(
  c: Challenge,
  frames: Buffer[],
  options: { times?: number[]; headers?: Record<string, string> } = {},
) {
  const issuedAt = Date.parse(c.expiresAt) - 60_000;
  const times = options.times ?? frames.map((_, i) => issuedAt + 300 + i * STEP);
  const res = await api.server.inject(
    formPost(
      '/v1/authenticate',
      options.headers ?? api.kiosk,
      frames.map((bytes, i) => ({ field: 'frames', name: `f${i}.jpg`, bytes })),
      { challengeId: c.id, nonce: c.nonce, timestamps: JSON.stringify(times) },
    ),
  );
  return res;
}

/** The latest liveness audit record (its reason and each check). */
async function lastLivenessAudit() {
  const { items } = await api.app.store.audit.query({ action: 'authenticate.liveness' });
  const latest = [...items].sort((a, b) => b.at.localeCompare(a.at))[0];
  return latest as {
    outcome: string;
    reason: string | null;
    details?: { checks?: Array<{ check: string; passed: boolean; reason: string }> };
  };
}

const failed = (audit: Awaited<ReturnType<typeof lastLivenessAudit>>) =>
  (audit.details?.checks ?? []).filter((c) => !c.passed).map((c) => `${c.check}:${c.reason}`);

describe('liveness challenge over HTTP', () => {
  let held: Buffer[];
  let still: Buffer;

  beforeAll(async () => {
    still = await faceCrop('s1-0');
    held = await heldPhoto(still, TURNS);
  }, 60_000);

  it('refuses a single photo while challenge is in force (the default), never matched, and says why', async () => {
    const res = await api.server.inject(imagePost('/v1/authenticate', still, api.kiosk));
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('LIVENESS_REQUIRED');
    const { items } = await api.app.store.audit.query({ action: 'authenticate' });
    expect(items.some((e) => e.reason === 'LIVENESS_REQUIRED')).toBe(true);
    expect(items.some((e) => e.outcome === 'match')).toBe(false);
    const config = await api.server.inject({ method: 'GET', url: '/v1/kiosk/config', headers: api.kiosk });
    expect(body(config)).toMatchObject({ livenessMode: 'challenge', livenessProvider: 'local' });
  });

  it('issues single-use challenges of 2–3 actions, never an excluded one', async () => {
    const c = await issue(api.kiosk, ['blink']);
    expect(c.actions.length).toBeGreaterThanOrEqual(2);
    expect(c.actions).not.toContain('blink');
    expect(Date.parse(c.expiresAt) - Date.now()).toBeGreaterThan(50_000);
  });

  it('refuses a still photo sent once, with the reason in the audit; the kiosk sees no checks', async () => {
    const res = await answer(await issue(), [still]);
    expect(res.statusCode).toBe(200);
    const reply = body<LivenessAnswer>(res);
    expect(reply).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
    expect(reply.liveness?.checks).toBeUndefined();
    expect((await lastLivenessAudit()).reason).toBe('too_few_frames');
  });

  it('refuses a still photo repeated', async () => {
    const reply = body<LivenessAnswer>(await answer(await issue(), Array(8).fill(still)));
    expect(reply.liveness?.outcome).toBe('refused');
    expect(failed(await lastLivenessAudit())).toContain('not_duplicate:duplicates');
  });

  it('refuses a photo turned and tilted in front of the camera (planar); admins see the checks', async () => {
    const res = await answer(await issue(api.admin), held, { headers: api.admin });
    const reply = body<LivenessAnswer>(res);
    expect(reply.liveness?.outcome).toBe('refused');
    expect(reply.liveness?.checks?.some((c) => c.check === 'planar' && !c.passed)).toBe(true);
    expect(failed(await lastLivenessAudit())).toContain('planar:planar');
  });

  it('refuses frames in the wrong order', async () => {
    const c = await issue();
    const issuedAt = Date.parse(c.expiresAt) - 60_000;
    const times = held.map((_, i) => issuedAt + 300 + i * STEP);
    [times[1], times[5]] = [times[5]!, times[1]!];
    const reply = body<LivenessAnswer>(await answer(c, held, { times }));
    expect(reply.liveness?.outcome).toBe('refused');
    expect((await lastLivenessAudit()).reason).toBe('out_of_order');
  });

  it('refuses a replayed challenge', async () => {
    const c = await issue();
    await answer(c, held);
    const again = body<LivenessAnswer>(await answer(c, held));
    expect(again).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
    expect((await lastLivenessAudit()).reason).toBe('CHALLENGE_USED');
  });

  it('refuses a challenge of another caller, and a wrong nonce', async () => {
    const other = await createKey(api, api.adminToken, 'kiosk', 'other door');
    const c = await issue(bearer(other.secret));
    expect(body<LivenessAnswer>(await answer(c, held)).liveness?.outcome).toBe('refused');
    expect((await lastLivenessAudit()).reason).toBe('CHALLENGE_FOREIGN');
    const mine = await issue();
    expect(body<LivenessAnswer>(await answer({ ...mine, nonce: 'forged' }, held)).liveness?.outcome).toBe(
      'refused',
    );
    expect((await lastLivenessAudit()).reason).toBe('CHALLENGE_INVALID');
  });

  it('refuses an expired challenge', async () => {
    const c = await issue();
    // The clock only moves forward: the door's failure window must not see failures from the future.
    offsetMs += 120_000;
    expect(body<LivenessAnswer>(await answer(c, held)).liveness?.outcome).toBe('refused');
    expect((await lastLivenessAudit()).reason).toBe('CHALLENGE_EXPIRED');
  });

  it('refuses frames of two different people', async () => {
    const crops = await faceCrops();
    const mixed = held.map((f, i) => (i === held.length - 1 ? crops[3]!.jpeg : f));
    expect(body<LivenessAnswer>(await answer(await issue(), mixed)).liveness?.outcome).toBe('refused');
    expect(failed(await lastLivenessAudit())).toContain('same_person:different_people');
  });

  it('refuses frames with two faces', async () => {
    const group = await sharp(samplePhotoPath(1)).resize({ width: 960 }).jpeg().toBuffer();
    const crowded = held.map((f, i) => (i === 3 ? group : f));
    expect(body<LivenessAnswer>(await answer(await issue(), crowded)).liveness?.outcome).toBe('refused');
    expect(failed(await lastLivenessAudit())).toContain('single_face:two_faces');
  });

  it('PUT /v1/settings refuses passive; off is audited; a key of its own mode overrides the setting', async () => {
    const passive = await api.server.inject({
      method: 'PUT',
      url: '/v1/settings',
      headers: api.admin,
      payload: { livenessMode: 'passive' },
    });
    expect(passive.statusCode).toBe(400);
    expect(errorCode(passive)).toBe('VALIDATION_FAILED');
    const trusted = await createKey(api, api.adminToken, 'kiosk', 'trusted door');
    const set = await api.server.inject({
      method: 'PUT',
      url: `/v1/keys/${trusted.key.id}/liveness`,
      headers: api.admin,
      payload: { mode: 'off' },
    });
    expect(set.statusCode).toBe(204);
    const { items } = await api.app.store.audit.query({ action: 'liveness.mode' });
    expect(items.some((e) => e.reason === 'LIVENESS_OFF')).toBe(true);
    const photo = await api.server.inject(imagePost('/v1/authenticate', still, bearer(trusted.secret)));
    expect(body<LivenessAnswer>(photo).decision).toBe('match');
    const refused = await api.server.inject(imagePost('/v1/authenticate', still, api.kiosk));
    expect(errorCode(refused)).toBe('LIVENESS_REQUIRED');
  });
});

describe('refused challenges count at the door', () => {
  it('locks the door out after the lockout threshold of refused challenges, then refuses before analysing', async () => {
    const strict = await openStaffedApi({ security: { lockoutThreshold: 2 } }, undefined, {
      livenessDefault: true,
    });
    try {
      const photo = await faceCrop('s1-0');
      const codes: Array<number> = [];
      for (let i = 0; i < 4; i++) {
        const c = body<Challenge>(
          await strict.server.inject({
            method: 'POST',
            url: '/v1/liveness/challenges',
            headers: strict.kiosk,
            payload: {},
          }),
        );
        const issuedAt = Date.parse(c.expiresAt) - 60_000;
        const res = await strict.server.inject(
          formPost('/v1/authenticate', strict.kiosk, [{ field: 'frames', bytes: photo }], {
            challengeId: c.id,
            nonce: c.nonce,
            timestamps: JSON.stringify([issuedAt + 100]),
          }),
        );
        codes.push(res.statusCode);
      }
      expect(codes.slice(0, 2)).toEqual([200, 200]);
      expect(codes.at(-1)).toBe(429);

      // In the delay, a full burst is refused before any frame reaches the engine: no CPU spent on it.
      const detect = vi.spyOn(strict.app.engine, 'detect');
      const analyze = vi.spyOn(strict.app.engine, 'analyze');
      const c = body<Challenge>(
        await strict.server.inject({
          method: 'POST',
          url: '/v1/liveness/challenges',
          headers: strict.kiosk,
          payload: {},
        }),
      );
      const issuedAt = Date.parse(c.expiresAt) - 60_000;
      const burst = Array.from({ length: 6 }, () => ({ field: 'frames', bytes: photo }));
      const locked = await strict.server.inject(
        formPost('/v1/authenticate', strict.kiosk, burst, {
          challengeId: c.id,
          nonce: c.nonce,
          timestamps: JSON.stringify(burst.map((_, i) => issuedAt + 100 + i * 300)),
        }),
      );
      expect(locked.statusCode).toBe(429);
      expect(errorCode(locked)).toBe('LOCKED_OUT');
      expect(detect).not.toHaveBeenCalled();
      expect(analyze).not.toHaveBeenCalled();
    } finally {
      await strict.close();
    }
  }, 120_000);
});

/** Key frames of a clip, re-timed to start just after the challenge was issued. */
async function clipFrames(file: string): Promise<{ jpegs: Buffer[]; offsets: number[] }> {
  const frames = await decodeKeyFrames(join(CLIPS, file), { frames: 12, maxSide: 480 });
  return { jpegs: frames.map((f) => Buffer.from(f.jpeg)), offsets: frames.map((f) => f.timestampMs) };
}

/** Issues challenges until one asks for exactly `actions` (challenges are random; each costs no image work). */
async function challengeFor(actions: string[]): Promise<Challenge> {
  for (let i = 0; i < 2000; i++) {
    const c = await issue();
    if (c.actions.join() === actions.join()) return c;
  }
  throw new Error(`no challenge ${actions.join()} drawn`);
}

describe.skipIf(!existsSync(CLIPS))('real clips over HTTP (../shared/media; skipped when absent)', () => {
  async function pass(file: string, actions: string[]) {
    const { jpegs, offsets } = await clipFrames(file);
    const c = await challengeFor(actions);
    const issuedAt = Date.parse(c.expiresAt) - 60_000;
    const res = await answer(c, jpegs, { times: offsets.map((t) => issuedAt + 200 + t) });
    return body<LivenessAnswer>(res);
  }

  it('a real head turn passes and is then identified from its best frame', async () => {
    const reply = await pass('zubair_real_headturn_yaw.webm', ['turn_right', 'turn_left']);
    expect(reply.liveness).toEqual({ outcome: 'pass', hint: null });
    expect(reply.decision).toBe('no_match'); // not enrolled here: matched 1:N, no match
  }, 120_000);

  it('a real blink passes', async () => {
    const reply = await pass('sadtalker_ref_WDA_KatieHill_000.mp4', ['blink', 'look_up']);
    expect(reply.liveness?.outcome).toBe('pass');
    expect(['match', 'no_match']).toContain(reply.decision);
  }, 120_000);
});

if (!existsSync(CLIPS)) {
  console.warn(`liveness-api.spec: ${CLIPS} is absent; the real head-turn and blink tests are skipped`);
}
