import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiContextOf } from '../../../src/app/composition-root.js';
import { createApiHandler } from '../../../src/aws/lambda/api.handler.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { enrolmentRepositories } from '../../../src/services/enrolment-common.js';
import { tokenHashOf } from '../../../src/services/invitation.service.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  body,
  createEmployee,
  errorCode,
  loadEngine,
  type StaffedApi,
  staffApi,
} from '../api/api-test-kit.js';
import {
  consent,
  HAS_CLIPS,
  HEAD_TURN,
  invite,
  liveMaterial,
  passChallenge,
  submit,
} from '../enrolment/enrolment-kit.js';
import { operator } from '../services/service-test-kit.js';
import { announcedSetupToken, assembleAwsApp, publicGetEvent } from './aws-app-kit.js';
import { type LocalDynamo, startLocalDynamo } from './dynalite-server.js';
import { type LocalS3, startLocalS3 } from './local-s3.js';

let engine: FaceEngine;
let dynamo: LocalDynamo;
let s3: LocalS3;
let dataDir: string;
let api: StaffedApi;
/** The API function over the same app, fed API Gateway events. */
let lambda: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  [engine, dynamo, s3] = await Promise.all([
    loadEngine(),
    startLocalDynamo(),
    startLocalS3(['storage', 'validation']),
  ]);
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-aws-enrol-'));
  const { app, server, announced } = await assembleAwsApp({ engine, dynamo, s3, dataDir });
  const fastify = await server();
  lambda = createApiHandler(server);
  const opened = {
    server: fastify,
    ctx: apiContextOf(app),
    app,
    dataDir,
    setupToken: announcedSetupToken(announced) ?? '',
    close: async () => {
      await fastify.close();
      await app.close();
    },
  };
  api = await staffApi(opened, engine, opened.close);
}, 120_000);

afterAll(async () => {
  await api?.close();
  await Promise.all([engine?.close(), dynamo?.stop(), s3?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

/** Opens an enrolment link through the API function, as the phone's page does behind CloudFront. */
async function openLink(token: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const reply = await lambda(publicGetEvent(`/v1/enrol/${token}`), {});
  return { statusCode: reply.statusCode, body: JSON.parse(reply.body) as Record<string, unknown> };
}

/** Every item of the app's table, as stored. */
async function tableItems(): Promise<Array<Record<string, unknown>>> {
  const doc = DynamoDBDocumentClient.from(dynamo.client());
  const out = await doc.send(new ScanCommand({ TableName: api.app.config.store.dynamodb.table }));
  doc.destroy();
  return out.Items ?? [];
}

/**
 * Stores a submission the way the capture step leaves it: the captures in the bucket, then the link used and the
 * submission written in one transaction. The capture step itself needs a live head turn (a real clip, see the
 * last block), so here the submission is placed where it would put it and the review runs on it.
 */
async function seedSubmission(token: string, photos: Buffer[]): Promise<{ id: string; keys: string[] }> {
  const { store, blobs } = api.app;
  const invitation = await enrolmentRepositories(store).invitations.getByTokenHash(tokenHashOf(token));
  if (!invitation) throw new Error('unknown link');
  const keys: string[] = [];
  for (const photo of photos) keys.push(await blobs.put(photo, 'image/jpeg'));
  const id = randomUUID();
  const at = new Date().toISOString();
  await store.transaction(async (tx) => {
    const repos = enrolmentRepositories(tx);
    expect(await repos.invitations.markUsed(invitation.id, at)).toBe(true);
    await repos.submissions.create({
      id,
      invitationId: invitation.id,
      employeeId: invitation.employeeId,
      status: 'pending',
      checks: { liveness: { outcome: 'pass', checks: [] }, photos: [], duplicate: null, consistency: null },
      consentVersion: invitation.consentVersion ?? '',
      photoKeys: keys,
      createdAt: at,
    });
  });
  return { id, keys };
}

function review(id: string, decision: 'approve' | 'reject', reason?: string) {
  return api.server.inject({
    method: 'POST',
    url: `/v1/enrolment/submissions/${id}/${decision}`,
    headers: api.admin,
    payload: reason === undefined ? {} : { reason },
  });
}

describe('self-service enrolment on the DynamoDB store (dynalite, s3rver, the local engine)', () => {
  it('invite → the link opens through the API function → consent → no captures without liveness → revoke refuses the link; only the token hash is stored', async () => {
    await createEmployee(api, api.admin, { badge: 'D-1', firstName: 'Dana', lastName: 'Dynamo' });
    const [token = ''] = await invite(api, ['D-1']);
    const opened = await openLink(token);
    expect(opened.statusCode, JSON.stringify(opened.body)).toBe(200);
    expect(opened.body).toMatchObject({ firstName: 'Dana', status: 'open', consentAccepted: false });
    await consent(api, token);
    expect((await openLink(token)).body).toMatchObject({ consentAccepted: true, submission: null });
    const photo = await faceCrop('s2-0');
    expect(errorCode(await submit(api, token, [photo, photo, photo]))).toBe('LIVENESS_REQUIRED');

    const items = await tableItems();
    expect(JSON.stringify(items)).not.toContain(token);
    const invitation = items.find((item) => item.pk === 'INVITATION');
    expect(invitation).toMatchObject({ tokenHash: tokenHashOf(token), consentVersion: '1' });

    const listed = await api.server.inject({
      method: 'GET',
      url: '/v1/invitations?employee=D-1',
      headers: api.admin,
    });
    const [first] = body<{ items: Array<{ id: string; status: string }> }>(listed).items;
    expect(first?.status).toBe('open');
    const revoke = () =>
      api.server.inject({ method: 'POST', url: `/v1/invitations/${first?.id}/revoke`, headers: api.admin });
    expect(body(await revoke())).toMatchObject({ status: 'revoked' });
    expect(errorCode(await revoke())).toBe('CONFLICT');
    const refused = await openLink(token);
    expect([refused.statusCode, refused.body]).toMatchObject([
      409,
      { error: { code: 'INVITATION_REVOKED' } },
    ]);
    const unknown = await openLink('A'.repeat(32));
    expect(unknown.statusCode).toBe(404);
  }, 120_000);

  it('a waiting submission is reviewed: approval enrols its photos into DynamoDB and the face matches; rejection erases the photos', async () => {
    const id = await createEmployee(api, api.admin, { badge: 'D-2', firstName: 'Abe', lastName: 'Proved' });
    const [token = ''] = await invite(api, ['D-2']);
    const face = await faceCrop('s1-0');
    const seeded = await seedSubmission(token, [face, await transform(face, 'crop')]);
    const probe = await transform(face, 'flip');
    expect((await api.app.services.identification.identify(probe, operator)).decision).toBe('no_match');

    const queue = await api.server.inject({
      method: 'GET',
      url: '/v1/enrolment/submissions',
      headers: api.admin,
    });
    expect(body<{ items: unknown[] }>(queue).items).toEqual([
      expect.objectContaining({
        id: seeded.id,
        status: 'pending',
        photoCount: 2,
        employee: expect.objectContaining({ badge: 'D-2' }),
      }),
    ]);
    const photo = await api.server.inject({
      method: 'GET',
      url: `/v1/enrolment/submissions/${seeded.id}/photos/1`,
      headers: api.admin,
    });
    expect([photo.statusCode, photo.headers['content-type']]).toEqual([200, 'image/jpeg']);
    const approved = await review(seeded.id, 'approve');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(body(approved)).toMatchObject({ status: 'approved', photoCount: 0, reviewer: 'admin' });
    expect(errorCode(await review(seeded.id, 'approve'))).toBe('CONFLICT');
    expect((await api.app.store.templates.listByEmployee(id)).length).toBeGreaterThan(0);
    const hit = await api.app.services.identification.identify(probe, operator);
    expect(hit).toMatchObject({ decision: 'match', employee: { badge: 'D-2' } });
    expect((await openLink(token)).body).toMatchObject({
      status: 'used',
      submission: { status: 'approved' },
    });

    await createEmployee(api, api.admin, { badge: 'D-3', firstName: 'Rey', lastName: 'Jected' });
    const [other = ''] = await invite(api, ['D-3']);
    const rejected = await seedSubmission(other, [await faceCrop('s4-0')]);
    for (const key of rejected.keys) expect(await api.app.blobs.has(key)).toBe(true);
    const reason = 'Not a clear photo';
    expect(body(await review(rejected.id, 'reject', reason))).toMatchObject({
      status: 'rejected',
      photoCount: 0,
    });
    for (const key of rejected.keys) expect(await api.app.blobs.has(key)).toBe(false);
    expect((await openLink(other)).body).toMatchObject({ submission: { status: 'rejected', reason } });
    const { items } = await api.app.store.audit.query({ limit: 1000 });
    const log = items.map((e) => `${e.action}:${e.outcome}`);
    for (const step of [
      'enrolment.invite:success',
      'enrolment.approve:success',
      'enrolment.reject:success',
    ]) {
      expect(log, step).toContain(step);
    }
  }, 180_000);

  it('erasing an employee takes their waiting captures, submissions and invitations with them', async () => {
    const id = await createEmployee(api, api.admin, { badge: 'D-4', firstName: 'Era', lastName: 'Sed' });
    const [token = ''] = await invite(api, ['D-4']);
    await invite(api, ['D-4']);
    const seeded = await seedSubmission(token, [await faceCrop('s5-0')]);
    const erased = await api.server.inject({
      method: 'DELETE',
      url: `/v1/employees/${id}`,
      headers: api.admin,
    });
    expect(erased.statusCode, erased.body).toBe(200);
    for (const key of seeded.keys) expect(await api.app.blobs.has(key)).toBe(false);
    const { invitations, submissions } = enrolmentRepositories(api.app.store);
    expect(await submissions.get(seeded.id)).toBeUndefined();
    expect(await invitations.list({ employeeId: id, limit: 10, offset: 0 })).toEqual([]);
    expect((await openLink(token)).statusCode).toBe(404);
    const items = await tableItems();
    // Only the audit keeps who was erased (and the enrolment steps taken before).
    const left = items.filter((item) => JSON.stringify(item).includes(id));
    expect(left.map((item) => item.pk)).toEqual(left.map(() => 'AUDIT'));
    // No token-hash claim or submission lookup outlives its invitation or submission.
    const keysOf = (pk: string) => new Set(items.filter((item) => item.pk === pk).map((item) => item.sk));
    const invitationIds = keysOf('INVITATION');
    const submissionIds = keysOf('SUBMISSION');
    for (const item of items) {
      if (item.pk === 'INVITETOKEN') expect(invitationIds.has(item.owner)).toBe(true);
      if (String(item.pk).startsWith('INVSUB#')) expect(submissionIds.has(item.submissionId)).toBe(true);
    }
  }, 120_000);
});

describe.skipIf(!HAS_CLIPS)(
  `the capture step on DynamoDB with a real head turn (${HEAD_TURN}; skipped when absent)`,
  () => {
    it('consent → challenge → captures: the link is used once, the submission waits for review, approval makes the face match', async () => {
      const live = await liveMaterial(api);
      await createEmployee(api, api.admin, { badge: 'D-9', firstName: 'Zed', lastName: 'Live' });
      const [token = ''] = await invite(api, ['D-9']);
      await consent(api, token);
      await passChallenge(api, token, live);
      const captures = live.captures.slice(0, 3);
      const res = await submit(api, token, captures);
      expect(body(res), res.body).toMatchObject({ outcome: 'submitted', status: 'pending' });
      expect(errorCode(await submit(api, token, captures))).toBe('INVITATION_USED');
      expect((await openLink(token)).body).toMatchObject({
        status: 'used',
        submission: { status: 'pending' },
      });
      const queue = await api.app.services.review.queue(operator);
      const waiting = queue.find((view) => view.employee.badge === 'D-9');
      expect(body(await review(waiting?.submission.id ?? '', 'approve'))).toMatchObject({
        status: 'approved',
      });
      const probe = live.captures.at(-1) ?? captures[0];
      const hit = await api.app.services.identification.identify(probe as Buffer, operator);
      expect(hit).toMatchObject({ decision: 'match', employee: { badge: 'D-9' } });
    }, 240_000);
  },
);
