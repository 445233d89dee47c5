import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiContextOf } from '../../../src/app/composition-root.js';
import { createApiHandler } from '../../../src/aws/lambda/api.handler.js';
import type { S3Event } from '../../../src/aws/lambda/lambda-events.js';
import { serviceEnroller } from '../../../src/aws/lambda/service-enroller.js';
import { createStorageHandler } from '../../../src/aws/lambda/storage.handler.js';
import { S3StorageObjects } from '../../../src/aws/lambda/storage-objects.js';
import { systemActor } from '../../../src/domain/access.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import { loadEngine, operator } from '../services/service-test-kit.js';
import {
  announcedSetupToken,
  assembleAwsApp,
  authenticateEvent,
  jsonEvent,
  publicJsonEvent,
} from './aws-app-kit.js';
import { type LocalDynamo, startLocalDynamo } from './dynalite-server.js';
import { type LocalS3, startLocalS3 } from './local-s3.js';

// As in the Lambda bundle, which aliases the native Argon2 to a stub that throws when used: the AWS app must
// hash and check administrator passwords without it.
vi.mock('@node-rs/argon2', () => {
  const absent = () => {
    throw new Error('This package is not part of the Lambda bundle');
  };
  return { hash: absent, verify: absent };
});

let engine: FaceEngine;
let dynamo: LocalDynamo;
let s3: LocalS3;
let client: S3Client;
let dataDir: string;
/** CloudWatch embedded-metric lines the API function wrote. */
const metricLines: string[] = [];

beforeAll(async () => {
  [engine, dynamo, s3] = await Promise.all([
    loadEngine(),
    startLocalDynamo(),
    startLocalS3(['storage', 'validation']),
  ]);
  client = s3.client();
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-aws-flow-'));
});
afterAll(async () => {
  client.destroy();
  await Promise.all([engine.close(), dynamo.stop(), s3.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

function created(...keys: string[]): S3Event {
  return {
    Records: keys.map((key) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'storage' }, object: { key: encodeURIComponent(key).replace(/%20/g, '+') } },
    })),
  };
}

describe('local run of the AWS flavour: dynalite + s3rver + the local engine, real photos', () => {
  it('enrols dropped photos into DynamoDB, refuses a faceless one, and authenticates another photo of her through an API Gateway event', async () => {
    const { app, server } = await assembleApp();
    const { enrollment, identification } = app.services;
    const handler = createStorageHandler({
      objects: new S3StorageObjects(client),
      enroller: serviceEnroller(enrollment),
      log: () => {},
    });

    const blank = await sharp({ create: { width: 320, height: 320, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const photos: Array<[string, Buffer]> = [
      ['incoming/E1_Ana_Test.jpg', await faceCrop('s1-0')],
      ['incoming/E2_Bea_Test.jpg', await faceCrop('s2-0')],
      ['incoming/E9_Nobody_Here.jpg', blank],
    ];
    for (const [key, body] of photos) {
      await client.send(
        new PutObjectCommand({ Bucket: 'storage', Key: key, Body: body, ContentType: 'image/jpeg' }),
      );
    }
    const event = created(...photos.map(([key]) => key));
    const first = await handler(event);
    expect(first.map((r) => [r.outcome, r.code])).toEqual([
      ['enrolled', undefined],
      ['enrolled', undefined],
      ['rejected', 'NO_FACE'],
    ]);
    const rejected = await client.send(
      new HeadObjectCommand({ Bucket: 'storage', Key: 'rejected/incoming/E9_Nobody_Here.jpg' }),
    );
    expect(rejected.Metadata?.['reason-code']).toBe('NO_FACE');

    // S3 delivers the same event again: nothing changes.
    const second = await handler(event);
    expect(second.map((r) => r.outcome)).toEqual(['already-enrolled', 'already-enrolled', 'gone']);
    expect(await app.store.employees.count()).toBe(2);
    expect(await app.store.templates.count()).toBe(2);

    const probe = await transform(await faceCrop('s2-0'), 'flip');
    const hit = await identification.identify(probe, operator);
    expect(hit).toMatchObject({ decision: 'match', employee: { badge: 'E2', firstName: 'Bea' } });
    const stranger = await identification.identify(await faceCrop('s4-0'), operator);
    expect(stranger.decision).toBe('no_match');
    const audit = await app.store.audit.query({ action: 'identify' });
    expect(audit.items.map((e) => e.outcome).sort()).toEqual(['match', 'no_match']);

    // The API function: an API Gateway v2 event for POST /v1/authenticate with another photo of her.
    const ctx = apiContextOf(app);
    const kiosk = await ctx.auth.apiKeys.create(systemActor('test'), { name: 'door', role: 'kiosk' });
    await app.store.settings.set('liveness.mode', 'off'); // this test sends one photo
    const api = createApiHandler(server);
    const reply = await api(authenticateEvent(kiosk.secret, probe), {});
    expect(reply.statusCode, reply.body).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({
      decision: 'match',
      employee: { badge: 'E2', firstName: 'Bea' },
    });
    // One embedded-metric line for that decision: the impostor-rate alarm's Facegate/Decisions metric.
    expect(metricLines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        outcome: 'match',
        Decisions: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'Facegate', Dimensions: [['outcome']] })],
        }),
      }),
    ]);
    const unauthenticated = await api(authenticateEvent('fg_nope_nope', probe), {});
    expect(unauthenticated.statusCode).toBe(401);
    // The function's rate limit and impostor alarm count in the DynamoDB shared state, where every instance sees them.
    const [limited] = await app.sharedState.readCounters([`rate-limit:api_key:${kiosk.key.id}`]);
    expect(limited).toBe(1);

    // The validation-bucket flow: a ticket, a PUT to the presigned URL, then authenticate with the key.
    const ticketReply = await api(jsonEvent(kiosk.secret, '/v1/uploads', { contentType: 'image/jpeg' }), {});
    expect(ticketReply.statusCode, ticketReply.body).toBe(201);
    const ticket = JSON.parse(ticketReply.body) as {
      url: string;
      headers: Record<string, string>;
      key: string;
    };
    expect(ticket.key).toMatch(/^probes\/[0-9a-f-]{36}\.jpg$/);
    expect(new URL(ticket.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: probe });
    expect(put.status).toBe(200);
    const uploaded = await api(jsonEvent(kiosk.secret, '/v1/authenticate/upload', { key: ticket.key }), {});
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    expect(JSON.parse(uploaded.body)).toMatchObject({ decision: 'match', employee: { badge: 'E2' } });
    const foreign = await api(
      jsonEvent(kiosk.secret, '/v1/authenticate/upload', { key: 'probes/../blobs/x' }),
      {},
    );
    expect(foreign.statusCode).toBe(400);
    const never = `probes/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.jpg`;
    const missing = await api(jsonEvent(kiosk.secret, '/v1/authenticate/upload', { key: never }), {});
    expect(JSON.parse(missing.body).error.code).toBe('NOT_FOUND');
    await app.close();
  });

  it('lets the first administrator sign in with a password through API Gateway events (Argon2id in WebAssembly)', async () => {
    const { app, server, announced } = await assembleApp();
    const token = announcedSetupToken(announced);
    expect(token).toBeTruthy();
    const api = createApiHandler(server);
    const credentials = { username: 'root', password: 'a long admin passphrase' };
    const created = await api(publicJsonEvent('/v1/setup', { setupToken: token, ...credentials }), {});
    expect(created.statusCode, created.body).toBe(201);
    const stored = await app.store.users.getByUsername('root');
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const login = await api(publicJsonEvent('/v1/auth/login', { ...credentials, session: 'bearer' }), {});
    expect(login.statusCode, login.body).toBe(200);
    expect(JSON.parse(login.body)).toMatchObject({ user: { username: 'root', role: 'admin' } });
    expect(JSON.parse(login.body).token).toEqual(expect.any(String));
    const wrong = await api(
      publicJsonEvent('/v1/auth/login', { ...credentials, password: 'a wrong admin passphrase' }),
      {},
    );
    expect(wrong.statusCode, wrong.body).toBe(401);
    await app.close();
  });
});

/** The AWS app on this file's dynalite and s3rver, its metric lines kept in {@link metricLines}. */
function assembleApp() {
  return assembleAwsApp({ engine, dynamo, s3, dataDir }, { metricLine: (line) => metricLines.push(line) });
}
