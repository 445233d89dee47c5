import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildAppServer } from '../../../src/app/server-lifecycle.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import { decodeKeyFrames } from '../../../src/liveness/frame-decoder.js';
import { body, formPost, loadEngine, openApi, type StaffedApi, staffApi } from '../api/api-test-kit.js';

/**
 * A staffed test API without the event-loop backpressure check (a `503 OVERLOADED` from a
 * loaded box says nothing about enrolment), with an admin session and a kiosk key.
 */
export async function openEnrolmentApi(now: () => Date): Promise<StaffedApi> {
  const engine = await loadEngine();
  const base = await openApi(engine, {}, undefined, now);
  const server = await buildAppServer(base.app, { logger: false, maxEventLoopDelayMs: 0 });
  return staffApi({ ...base, server }, engine, async () => {
    await server.close();
    await base.close();
    await engine.close();
  });
}

/** Real clips of `../shared/media` (absent on machines without the shared media: those tests skip). */
export const CLIPS = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'media', 'video');
/** A real head turn (right, then left) of one person. */
export const HEAD_TURN = join(CLIPS, 'zubair_real_headturn_yaw.webm');
export const HAS_CLIPS = existsSync(HEAD_TURN);

/** The frames of a challenge answer and frontal frames of the same person to capture. */
export interface LiveMaterial {
  frames: Buffer[];
  offsets: number[];
  captures: Buffer[];
}

/** Decodes the head-turn clip: 12 key frames for the challenge, and frames the quality gate accepts as captures. */
export async function liveMaterial(api: StaffedApi): Promise<LiveMaterial> {
  const frames = await decodeKeyFrames(HEAD_TURN, { frames: 12, maxSide: 480 });
  const large = await decodeKeyFrames(HEAD_TURN, { frames: 24, maxSide: 720 });
  const captures: Buffer[] = [];
  for (const frame of large) {
    try {
      const analysis = await api.engine.analyze(frame.jpeg);
      if (analysis.face.quality.issues.length === 0) captures.push(Buffer.from(frame.jpeg));
    } catch (error) {
      if (!isFacegateError(error)) throw error;
    }
  }
  return {
    frames: frames.map((f) => Buffer.from(f.jpeg)),
    offsets: frames.map((f) => f.timestampMs),
    captures,
  };
}

/** Creates invitations for employees (ids or badges) and returns each link's token. */
export async function invite(api: StaffedApi, employees: string[], headers = api.admin): Promise<string[]> {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/invitations',
    headers,
    payload: { employees },
  });
  expect(res.statusCode, res.body).toBe(201);
  return body<{ items: Array<{ link: string }> }>(res).items.map((i) => i.link.replace('/enrol/', ''));
}

/** Opens the link and accepts the consent in force. */
export async function consent(api: StaffedApi, token: string): Promise<void> {
  const page = await api.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
  expect(page.statusCode, page.body).toBe(200);
  const { version } = body<{ consent: { version: string } }>(page).consent;
  const res = await api.server.inject({
    method: 'POST',
    url: `/v1/enrol/${token}/consent`,
    payload: { version },
  });
  expect(res.statusCode, res.body).toBe(204);
}

/**
 * Passes the liveness challenge of the link with the real head turn. Challenges are random: they are drawn through
 * the service (no image work, no HTTP rate limit) until one asks for exactly what the clip shows; the answer goes
 * over HTTP.
 */
export async function passChallenge(api: StaffedApi, token: string, live: LiveMaterial): Promise<void> {
  let challenge:
    | Awaited<ReturnType<StaffedApi['app']['services']['selfEnrolment']['issueChallenge']>>
    | undefined;
  for (let i = 0; i < 2000 && !challenge; i++) {
    const c = await api.app.services.selfEnrolment.issueChallenge(token, '127.0.0.1');
    if (c.actions.join() === 'turn_right,turn_left') challenge = c;
  }
  if (!challenge) throw new Error('no turn_right,turn_left challenge drawn');
  const issuedAt = Date.parse(challenge.expiresAt) - 60_000;
  const res = await api.server.inject(
    formPost(
      `/v1/enrol/${token}/liveness`,
      {},
      live.frames.map((bytes, i) => ({ field: 'frames', name: `f${i}.jpg`, bytes })),
      {
        challengeId: challenge.id,
        nonce: challenge.nonce,
        timestamps: JSON.stringify(live.offsets.map((t) => issuedAt + 200 + t)),
      },
    ),
  );
  expect(res.statusCode, res.body).toBe(200);
  expect(body<{ outcome: string }>(res).outcome, res.body).toBe('pass');
}

/** Submits captures through the link. */
export function submit(api: StaffedApi, token: string, photos: Buffer[]): Promise<LightMyRequestResponse> {
  return api.server.inject(
    formPost(
      `/v1/enrol/${token}/submission`,
      {},
      photos.map((bytes, i) => ({ field: 'photos', name: `c${i}.jpg`, bytes })),
    ),
  );
}
