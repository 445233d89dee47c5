import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssociateFacesCommand,
  CreateFaceLivenessSessionCommand,
  CreateUserCommand,
  DescribeCollectionCommand,
  GetFaceLivenessSessionResultsCommand,
  type GetFaceLivenessSessionResultsCommandOutput,
  IndexFacesCommand,
  RekognitionClient,
  SearchUsersByImageCommand,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAwsApp } from '../../../src/app/aws-lambda-root.js';
import type { App } from '../../../src/app/composition-root.js';
import { type ApiGatewayResult, createApiHandler } from '../../../src/aws/lambda/api.handler.js';
import { systemActor } from '../../../src/domain/access.js';
import { enrolmentRepositories } from '../../../src/services/enrolment-common.js';
import { tokenHashOf } from '../../../src/services/invitation.service.js';
import { multipart } from '../api/api-test-kit.js';
import { operator } from '../services/service-test-kit.js';
import { announcedSetupToken, apiEvent, jsonEvent, publicGetEvent, publicJsonEvent } from './aws-app-kit.js';
import { type LocalDynamo, startLocalDynamo } from './dynalite-server.js';
import { type LocalS3, startLocalS3 } from './local-s3.js';

// Face login with Rekognition Face Liveness through the Lambda API function, built by `createAwsApp` from the
// environment the stack sets: the store and the shared state on DynamoDB (dynalite), photos in s3rver, Rekognition
// and STS mocked (the only parts that cannot run here). The browser's stream to AWS is what the mocked session
// results stand for. The same app also shows what a kiosk reads before it starts, and how self-service enrolment
// refuses on this engine.

vi.mock('@node-rs/argon2', () => {
  const absent = () => {
    throw new Error('This package is not part of the Lambda bundle');
  };
  return { hash: absent, verify: absent };
});

const rekognition = mockClient(RekognitionClient);
const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::123456789012:role/facegate-liveness-streaming';
const enrolmentPhoto = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
/** The frame of the live face Face Liveness keeps: what must be matched, and nothing else. */
const reference = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 4, 5, 6, 7]);

let dynamo: LocalDynamo;
let s3: LocalS3;
let dataDir: string;
let app: App;
let api: ReturnType<typeof createApiHandler>;
let kioskKey: string;
let anaId: string;
/** The tables of this test's first function instance, for a second instance beside it. */
let tables: { store: string; state: string };

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startLocalDynamo(), startLocalS3(['storage'])]);
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-aws-liveness-'));
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), s3.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  rekognition.reset();
  sts.reset();
  rekognition.on(DescribeCollectionCommand).resolves({ FaceCount: 0 });
  rekognition.on(CreateFaceLivenessSessionCommand).callsFake((input: { ClientRequestToken: string }) => ({
    SessionId: `7c9e6679-7425-40de-944b-${input.ClientRequestToken.slice(-12)}`,
  }));
  sts.on(AssumeRoleCommand).callsFake(() => ({
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: 'streaming-secret',
      SessionToken: 'streaming-token',
      Expiration: new Date(Date.now() + 900_000),
    },
  }));
  ({ app, api, tables } = await assemble());
  await enrolAna();
  const kiosk = await app.services.auth.apiKeys.create(systemActor('test'), { name: 'door', role: 'kiosk' });
  kioskKey = kiosk.secret;
});
afterEach(async () => {
  await app.close();
  rekognition.reset();
  sts.reset();
});

/** One API function instance; a second one on the same `tables` when given, fresh tables otherwise. */
async function assemble(on?: { store: string; state: string }, announced: string[] = []) {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  const used = on ?? { store: await dynamo.freshTable(), state: await dynamo.freshStateTable() };
  const built = await createAwsApp(
    {
      FACEGATE_ENV: 'test',
      FACEGATE_DATA_DIR: dataDir,
      FACEGATE_STORE: 'dynamodb',
      FACEGATE_DYNAMODB_TABLE: used.store,
      FACEGATE_DYNAMODB_ENDPOINT: dynamo.endpoint,
      FACEGATE_SHARED_STATE: 'dynamodb',
      FACEGATE_SHARED_STATE_TABLE: used.state,
      FACEGATE_ENGINE: 'rekognition',
      FACEGATE_REKOGNITION_COLLECTION: 'facegate-test',
      FACEGATE_LIVENESS_PROVIDER: 'rekognition',
      FACEGATE_LIVENESS_STREAMING_ROLE_ARN: ROLE,
      FACEGATE_LIVENESS_MIN_CONFIDENCE: '90',
      FACEGATE_LOCKOUT_THRESHOLD: '2',
      FACEGATE_BLOBS: 's3',
      FACEGATE_S3_ENDPOINT: s3.endpoint,
      FACEGATE_S3_BUCKET: 'storage',
      FACEGATE_S3_PREFIX: 'blobs/',
      FACEGATE_S3_FORCE_PATH_STYLE: 'true',
      FACEGATE_S3_ACCESS_KEY_ID: 'S3RVER',
      FACEGATE_S3_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'eu-west-1',
    },
    { announce: (line) => announced.push(line), metricLine: () => {}, maxEventLoopDelayMs: 0 },
  );
  return { app: built.app, api: createApiHandler(built.server), tables: used };
}

function faceDetail() {
  return {
    BoundingBox: { Width: 0.4, Height: 0.5, Left: 0.3, Top: 0.2 },
    Confidence: 99.9,
    Quality: { Brightness: 70, Sharpness: 85 },
    Pose: { Yaw: 2, Pitch: 1, Roll: 0 },
  };
}

/** SearchUsersByImage finds these users in the collection. */
function searchFinds(matches: Array<[string, number]>) {
  rekognition.on(SearchUsersByImageCommand).resolves({
    UserMatches: matches.map(([id, similarity]) => ({ User: { UserId: id }, Similarity: similarity })),
    SearchedFace: { FaceDetail: faceDetail() },
  });
}

async function enrolAna() {
  searchFinds([]);
  rekognition.on(IndexFacesCommand).resolves({
    FaceRecords: [{ Face: { FaceId: 'face-ana-1' }, FaceDetail: faceDetail() }],
    FaceModelVersion: '7.0',
  });
  rekognition.on(CreateUserCommand).resolves({});
  rekognition.on(AssociateFacesCommand).resolves({ AssociatedFaces: [{ FaceId: 'face-ana-1' }] });
  const result = await app.services.enrollment.enrollByBadge(
    { badge: 'A1', firstName: 'Ana', lastName: 'Live' },
    [{ bytes: enrolmentPhoto, contentType: 'image/jpeg' }],
    operator,
  );
  if (!result.employee) throw new Error('Ana was not enrolled');
  anaId = result.employee.id;
}

/** The session, as the browser left it after streaming. */
function sessionEnds(result: Omit<GetFaceLivenessSessionResultsCommandOutput, '$metadata' | 'SessionId'>) {
  rekognition.on(GetFaceLivenessSessionResultsCommand).resolves({ SessionId: 's', ...result });
}

/** A JSON POST through the API function (or another instance of it), with the kiosk key. */
function post(path: string, payload: unknown, key = kioskKey, through = api) {
  return through(jsonEvent(key, path, payload), {});
}

const json = <T>(reply: ApiGatewayResult) => JSON.parse(reply.body) as T;

interface Session {
  provider: string;
  challengeId: string;
  sessionId: string;
  region: string;
  expiresAt: string;
  credentials: Record<string, string>;
}

async function challenge(through = api): Promise<Session> {
  const reply = await post('/v1/liveness/challenges', {}, kioskKey, through);
  expect(reply.statusCode, reply.body).toBe(201);
  return json<Session>(reply);
}

async function auditOf(action: string) {
  return (await app.store.audit.query({ action })).items;
}

describe('Face Liveness through the API function', () => {
  it('challenge → the browser streams → answer → welcome: the live reference image is the face matched', async () => {
    const c = await challenge();
    expect(c).toEqual({
      provider: 'rekognition',
      challengeId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sessionId: expect.any(String),
      region: 'eu-west-1',
      expiresAt: expect.any(String),
      credentials: {
        accessKeyId: 'ASIAEXAMPLE',
        secretAccessKey: 'streaming-secret',
        sessionToken: 'streaming-token',
        expiration: expect.any(String),
      },
    });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)[0]?.args[0].input).toEqual({
      ClientRequestToken: c.challengeId,
      Settings: { AuditImagesLimit: 0 },
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: ROLE,
      DurationSeconds: 900,
    });

    sessionEnds({ Status: 'SUCCEEDED', Confidence: 96.5, ReferenceImage: { Bytes: reference } });
    rekognition.resetHistory();
    searchFinds([[anaId, 99.6]]);
    const reply = await post('/v1/authenticate', { challengeId: c.challengeId });
    expect(reply.statusCode, reply.body).toBe(200);
    expect(json(reply)).toMatchObject({
      decision: 'match',
      employee: { badge: 'A1', firstName: 'Ana' },
      token: expect.any(String),
      liveness: { outcome: 'pass', hint: null },
    });
    expect(json<{ liveness: Record<string, unknown> }>(reply).liveness.checks).toBeUndefined();
    expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)[0]?.args[0].input).toEqual({
      SessionId: c.sessionId,
    });
    const searches = rekognition.commandCalls(SearchUsersByImageCommand);
    expect(searches).toHaveLength(1);
    expect(searches[0]?.args[0].input.Image?.Bytes).toEqual(reference);
    expect((await auditOf('authenticate.liveness'))[0]).toMatchObject({
      outcome: 'success',
      details: { provider: 'rekognition', sessionId: c.sessionId },
    });
    expect((await auditOf('authenticate')).map((e) => e.outcome)).toContain('match');

    // The same answer again: refused, and neither Face Liveness nor the collection is asked again.
    const replay = await post('/v1/authenticate', { challengeId: c.challengeId });
    expect(json(replay)).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
    expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(1);
    expect(rekognition.commandCalls(SearchUsersByImageCommand)).toHaveLength(1);
    expect((await auditOf('authenticate.liveness'))[0]).toMatchObject({ reason: 'CHALLENGE_USED' });
  });

  it('verifies a claimed employee (1:1) from the live reference image', async () => {
    const c = await challenge();
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 99, ReferenceImage: { Bytes: reference } });
    searchFinds([[anaId, 97]]);
    const reply = await post('/v1/verify', { challengeId: c.challengeId, employee: 'A1' });
    expect(reply.statusCode, reply.body).toBe(200);
    expect(json(reply)).toMatchObject({ decision: 'match', employee: { badge: 'A1' } });
  });

  it('refuses a session below the minimum confidence, never searching the collection, and counts it at the door', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await challenge();
      sessionEnds({ Status: 'SUCCEEDED', Confidence: 89.9, ReferenceImage: { Bytes: reference } });
      rekognition.on(SearchUsersByImageCommand).rejects(new Error('must not be searched'));
      const reply = await post('/v1/authenticate', { challengeId: c.challengeId });
      codes.push(reply.statusCode);
      if (i === 0) {
        expect(json(reply)).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
        expect((await auditOf('authenticate.liveness'))[0]).toMatchObject({
          outcome: 'refused',
          reason: 'low_confidence',
        });
      }
    }
    expect(codes.slice(0, 2)).toEqual([200, 200]);
    expect(codes.at(-1)).toBe(429);
    // In the delay, the door is refused before the session is read.
    const reads = rekognition.commandCalls(GetFaceLivenessSessionResultsCommand).length;
    const c = await challenge();
    const locked = await post('/v1/authenticate', { challengeId: c.challengeId });
    expect(locked.statusCode).toBe(429);
    expect(json<{ error: { code: string } }>(locked).error.code).toBe('LOCKED_OUT');
    expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(reads);
  });

  it('refuses an answer by another kiosk key, and frames sent where a session is expected', async () => {
    const c = await challenge();
    const other = await app.services.auth.apiKeys.create(systemActor('test'), {
      name: 'lobby',
      role: 'kiosk',
    });
    const foreign = await post('/v1/authenticate', { challengeId: c.challengeId }, other.secret);
    expect(json(foreign)).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
    expect((await auditOf('authenticate.liveness'))[0]).toMatchObject({ reason: 'CHALLENGE_FOREIGN' });
    const extra = await post('/v1/authenticate', { challengeId: c.challengeId, nonce: 'n' });
    expect(extra.statusCode).toBe(400);
    expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(0);
  });

  it('answers 503 OVERLOADED with Retry-After while Rekognition throttles the session read', async () => {
    const c = await challenge();
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const reply = await post('/v1/authenticate', { challengeId: c.challengeId });
    expect(reply.statusCode).toBe(503);
    expect(json<{ error: { code: string } }>(reply).error.code).toBe('OVERLOADED');
    expect(reply.headers['retry-after']).toBe('2');
  });
});

describe('what a kiosk reads before it starts, on Face Liveness', () => {
  it('announces the rekognition provider in the kiosk config without creating a session or assuming the role', async () => {
    const reply = await api(
      apiEvent({ method: 'GET', path: '/v1/kiosk/config', headers: { authorization: `Bearer ${kioskKey}` } }),
      {},
    );
    expect(reply.statusCode, reply.body).toBe(200);
    expect(json(reply)).toEqual({
      name: 'door',
      allowPhotoUpload: false,
      setupPinSet: false,
      livenessMode: 'challenge',
      livenessProvider: 'rekognition',
    });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);

    // A trusted kiosk with liveness off needs no provider at all.
    const kiosk = (await app.store.apiKeys.list()).find((k) => k.name === 'door');
    await app.services.livenessLogin.setKeyMode(operator, kiosk?.id ?? '', 'off');
    const off = await api(
      apiEvent({ method: 'GET', path: '/v1/kiosk/config', headers: { authorization: `Bearer ${kioskKey}` } }),
      {},
    );
    expect(json(off)).toMatchObject({ livenessMode: 'off', livenessProvider: null });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(0);
  });
});

describe('self-service enrolment on the Rekognition engine', () => {
  /** A link made before this deployment ran Rekognition (new ones are refused), its consent given or not. */
  async function seededLink(consented: boolean): Promise<string> {
    const token = `rekognition-link-${Math.random().toString(36).slice(2, 12)}`;
    const at = new Date().toISOString();
    const { invitations } = enrolmentRepositories(app.store);
    const invitation = await invitations.create({
      id: crypto.randomUUID(),
      employeeId: anaId,
      tokenHash: tokenHashOf(token),
      createdBy: 'operator',
      createdAt: at,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    if (consented) await invitations.recordConsent(invitation.id, '1', at);
    return token;
  }

  const code = (reply: ApiGatewayResult) => json<{ error?: { code: string } }>(reply).error?.code;

  it('the link says capture is not available, and every capture step is refused with NOT_SUPPORTED before any work', async () => {
    const fresh = await seededLink(false);
    const page = await api(publicGetEvent(`/v1/enrol/${fresh}`), {});
    expect(page.statusCode, page.body).toBe(200);
    expect(json(page)).toMatchObject({ firstName: 'Ana', status: 'open', captureAvailable: false });
    const consent = await api(publicJsonEvent(`/v1/enrol/${fresh}/consent`, { version: '1' }), {});
    expect([consent.statusCode, code(consent)]).toEqual([409, 'NOT_SUPPORTED']);

    const token = await seededLink(true);
    const challenge = await api(publicJsonEvent(`/v1/enrol/${token}/challenge`, {}), {});
    expect([challenge.statusCode, code(challenge)]).toEqual([409, 'NOT_SUPPORTED']);
    const frame = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
    const form = multipart(
      [0, 1, 2, 3].map((i) => ({ field: 'frames', name: `f${i}.jpg`, bytes: frame })),
      {
        challengeId: crypto.randomUUID(),
        nonce: 'n',
        timestamps: JSON.stringify([1, 2, 3, 4].map((t) => Date.now() + t)),
      },
    );
    const answer = await api(
      apiEvent({
        method: 'POST',
        path: `/v1/enrol/${token}/liveness`,
        headers: form.headers,
        body: form.payload,
      }),
      {},
    );
    expect([answer.statusCode, code(answer)]).toEqual([409, 'NOT_SUPPORTED']);
    const photos = multipart([0, 1, 2].map((i) => ({ field: 'photos', name: `c${i}.jpg`, bytes: frame })));
    const submission = await api(
      apiEvent({
        method: 'POST',
        path: `/v1/enrol/${token}/submission`,
        headers: photos.headers,
        body: photos.payload,
      }),
      {},
    );
    expect([submission.statusCode, code(submission)]).toEqual([409, 'NOT_SUPPORTED']);

    // Refused as a deployment that cannot run it, never judged as a person who showed no face.
    expect(await auditOf('enrolment.liveness')).toEqual([]);
    const refusals = await auditOf('enrolment.access');
    expect(refusals.map((e) => [e.outcome, e.reason])).toContainEqual(['refused', 'NOT_SUPPORTED']);
    expect(refusals).toHaveLength(4);
  });

  it('refuses new invitations, and says so in the enrolment settings', async () => {
    await expect(app.services.invitations.create(operator, { employees: ['A1'] })).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    });
    const admin = await app.services.auth.apiKeys.create(systemActor('test'), { name: 'hr', role: 'admin' });
    const created = await post('/v1/invitations', { employees: ['A1'] }, admin.secret);
    expect([created.statusCode, code(created)]).toEqual([409, 'NOT_SUPPORTED']);
    const settings = await api(
      apiEvent({
        method: 'GET',
        path: '/v1/enrolment/settings',
        headers: { authorization: `Bearer ${admin.secret}` },
      }),
      {},
    );
    expect(json(settings)).toMatchObject({ captureAvailable: false, autoApprove: false });
    expect(await auditOf('enrolment.invite')).toEqual([]);
  });

  it('the local challenge on this engine fails as the engine error it is, never as "no face in the frame"', async () => {
    const kiosk = { type: 'api_key' as const, id: 'k', role: 'kiosk' as const, name: 'door', ip: null };
    const issued = await app.services.liveness.issueChallenge(kiosk);
    const now = Date.now();
    const frames = [0, 1, 2, 3].map((i) => ({ bytes: new Uint8Array([0xff, 0xd8, i]), timestamp: now + i }));
    await expect(
      app.services.liveness.answer(kiosk, { challengeId: issued.id, nonce: issued.nonce, frames }),
    ).rejects.toMatchObject({ code: 'NOT_READY' });
    expect((await auditOf('liveness')).map((e) => e.reason)).not.toContain('no_face');
  });
});

describe('two API function instances on the same tables (Lambda scaled out)', () => {
  it('the first-run setup token printed by one instance is taken through another', async () => {
    const printed: string[] = [];
    const first = await assemble(undefined, printed);
    const second = await assemble(first.tables);
    try {
      const token = announcedSetupToken(printed);
      expect(printed.join()).toContain('(any instance, for a day)');
      const credentials = { username: 'root', password: 'a long admin passphrase' };
      const created = await second.api(
        publicJsonEvent('/v1/setup', { setupToken: token, ...credentials }),
        {},
      );
      expect(created.statusCode, created.body).toBe(201);
      const again = await first.api(publicJsonEvent('/v1/setup', { setupToken: token, ...credentials }), {});
      expect(JSON.parse(again.body).error.code).toBe('SETUP_ALREADY_DONE');
    } finally {
      await Promise.all([first.app.close(), second.app.close()]);
    }
  });

  it('a challenge issued by one instance is answered through another; a replay through the first is refused', async () => {
    const second = await assemble(tables);
    try {
      const c = await challenge(api);
      sessionEnds({ Status: 'SUCCEEDED', Confidence: 97, ReferenceImage: { Bytes: reference } });
      searchFinds([[anaId, 99.5]]);
      const reply = await post('/v1/authenticate', { challengeId: c.challengeId }, kioskKey, second.api);
      expect(reply.statusCode, reply.body).toBe(200);
      expect(json(reply)).toMatchObject({
        decision: 'match',
        employee: { badge: 'A1' },
        liveness: { outcome: 'pass' },
      });
      const replay = await post('/v1/authenticate', { challengeId: c.challengeId });
      expect(json(replay)).toMatchObject({ decision: 'no_match', liveness: { outcome: 'refused' } });
      expect((await auditOf('authenticate.liveness'))[0]).toMatchObject({ reason: 'CHALLENGE_USED' });
      expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(1);
    } finally {
      await second.app.close();
    }
  });

  it('refused sessions spread over both instances lock the door as they would on one', async () => {
    const second = await assemble(tables);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const through = i % 2 === 0 ? api : second.api;
        const c = await challenge(through);
        sessionEnds({ Status: 'SUCCEEDED', Confidence: 50, ReferenceImage: { Bytes: reference } });
        codes.push(
          (await post('/v1/authenticate', { challengeId: c.challengeId }, kioskKey, through)).statusCode,
        );
      }
      expect(codes.slice(0, 2)).toEqual([200, 200]);
      expect(codes.at(-1)).toBe(429);
      const c = await challenge(api);
      const locked = await post('/v1/authenticate', { challengeId: c.challengeId }, kioskKey, second.api);
      expect(json<{ error: { code: string } }>(locked).error.code).toBe('LOCKED_OUT');
    } finally {
      await second.app.close();
    }
  });
});
