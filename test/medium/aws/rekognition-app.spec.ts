import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssociateFacesCommand,
  CreateUserCommand,
  DeleteFacesCommand,
  DeleteUserCommand,
  DescribeCollectionCommand,
  DisassociateFacesCommand,
  IndexFacesCommand,
  InvalidParameterException,
  ListFacesCommand,
  RekognitionClient,
  SearchUsersByImageCommand,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app/composition-root.js';
import { RekognitionFaceMatcher } from '../../../src/aws/rekognition/rekognition-face-matcher.js';
import { loadConfig } from '../../../src/config/config.js';
import { operator } from '../services/service-test-kit.js';

// The services on the Rekognition collection, through the composition root (FACEGATE_ENGINE=rekognition): the same
// enrolment, decisions, reason codes and audit as with the local engine, with every Rekognition call mocked.

const rekognition = mockClient(RekognitionClient);
const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const meta = { $metadata: {} };
let dataDir: string;
let app: App;

function detail(yaw = 2) {
  return {
    BoundingBox: { Width: 0.4, Height: 0.5, Left: 0.3, Top: 0.2 },
    Confidence: 99.9,
    Quality: { Brightness: 70, Sharpness: 85 },
    Pose: { Yaw: yaw, Pitch: 1, Roll: 0 },
  };
}

function searchFinds(matches: Array<[string, number]>, yaw = 2) {
  rekognition.on(SearchUsersByImageCommand).resolves({
    UserMatches: matches.map(([id, similarity]) => ({ User: { UserId: id }, Similarity: similarity })),
    SearchedFace: { FaceDetail: detail(yaw) },
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-rek-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  rekognition.reset();
  rekognition.on(DescribeCollectionCommand).resolves({ FaceCount: 0 });
  const config = loadConfig({
    FACEGATE_ENV: 'test',
    FACEGATE_DATA_DIR: await mkdtemp(join(dataDir, 'run-')),
    FACEGATE_ENGINE: 'rekognition',
    FACEGATE_REKOGNITION_COLLECTION: 'facegate-test',
  });
  const remoteMatcher = new RekognitionFaceMatcher({
    client: new RekognitionClient({ region: 'eu-west-1' }),
    collectionId: 'facegate-test',
    retry: { attempts: 1, baseDelayMs: 1 },
  });
  app = await createApp(config, { remoteMatcher });
});
afterEach(async () => {
  await app.close();
});

async function enrolAna() {
  searchFinds([]);
  rekognition.on(IndexFacesCommand).resolves({
    FaceRecords: [{ Face: { FaceId: 'face-ana-1' }, FaceDetail: detail() }],
    FaceModelVersion: '7.0',
  });
  rekognition.on(CreateUserCommand).resolves({});
  rekognition.on(AssociateFacesCommand).resolves({ AssociatedFaces: [{ FaceId: 'face-ana-1' }] });
  return app.services.enrollment.enrollByBadge(
    { badge: 'A1', firstName: 'Ana', lastName: 'Test' },
    [{ bytes: photo, contentType: 'image/jpeg' }],
    operator,
  );
}

describe('services on a Rekognition collection', () => {
  it('checks the collection at start-up and records the engine as rekognition', () => {
    expect(rekognition.commandCalls(DescribeCollectionCommand)).toHaveLength(1);
    expect(app.engine.info.engine).toBe('rekognition');
  });

  it('enrols: duplicate search, IndexFaces for the employee, user and association; the face id is the template id', async () => {
    const result = await enrolAna();
    const employee = result.employee;
    expect(result).toMatchObject({ created: true, added: 1, photos: [{ accepted: true }] });
    if (!employee) throw new Error('no employee');
    const index = rekognition.commandCalls(IndexFacesCommand)[0]?.args[0].input;
    expect(index).toMatchObject({ ExternalImageId: employee.id, MaxFaces: 1, QualityFilter: 'AUTO' });
    expect(rekognition.commandCalls(CreateUserCommand)[0]?.args[0].input.UserId).toBe(employee.id);
    // The service's duplicate rule searched at the 1:1 preset (balanced: 0.95 → Rekognition's 95).
    expect(rekognition.commandCalls(SearchUsersByImageCommand)[0]?.args[0].input.UserMatchThreshold).toBe(95);
    const templates = await app.store.templates.listByEmployee(employee.id);
    expect(templates.map((t) => [t.id, t.engine, t.modelVersion, t.embedding.length])).toEqual([
      ['face-ana-1', 'rekognition', '7.0', 1],
    ]);
    const audit = await app.store.audit.query({ action: 'enroll' });
    expect(audit.items[0]).toMatchObject({ outcome: 'success', engine: 'rekognition@1' });
  });

  it('maps an unindexed face to our reason code and stores nothing', async () => {
    searchFinds([]);
    rekognition.on(IndexFacesCommand).resolves({
      FaceRecords: [],
      UnindexedFaces: [{ Reasons: ['SMALL_BOUNDING_BOX'], FaceDetail: detail() }],
    });
    const result = await app.services.enrollment.enrollByBadge(
      { badge: 'B2', firstName: 'Bea', lastName: 'Small' },
      [{ bytes: photo }],
      operator,
    );
    expect(result.employee).toBeNull();
    expect(result.photos[0]?.reasons.map((r) => r.code)).toEqual(['SMALL_FACE']);
    expect(await app.store.employees.count()).toBe(0);
  });

  it('refuses a face that already matches another employee with DUPLICATE_FACE, as with the local engine', async () => {
    const ana = (await enrolAna()).employee;
    if (!ana) throw new Error('no employee');
    rekognition.reset();
    searchFinds([[ana.id, 99.5]]);
    const result = await app.services.enrollment.enrollByBadge(
      { badge: 'C3', firstName: 'Cy', lastName: 'Copy' },
      [{ bytes: new Uint8Array([0xff, 0xd8, 9]) }],
      operator,
    );
    expect(result.photos[0]?.reasons[0]).toMatchObject({ code: 'DUPLICATE_FACE', employee: { badge: 'A1' } });
    expect(rekognition.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  it('identifies with the 1:N rule and audits the decision on the 0–1 scale', async () => {
    const ana = (await enrolAna()).employee;
    if (!ana) throw new Error('no employee');
    searchFinds([[ana.id, 99.6]]);
    const hit = await app.services.identification.identify(photo, operator);
    expect(hit).toMatchObject({
      decision: 'match',
      employee: { badge: 'A1' },
      score: 0.996,
      threshold: 0.99,
    });
    // Searched down to threshold − margin (0.99 − 0.05), so a close runner-up is seen.
    const calls = rekognition.commandCalls(SearchUsersByImageCommand);
    expect(calls.at(-1)?.args[0].input.UserMatchThreshold).toBeCloseTo(94, 6);

    searchFinds([
      [ana.id, 99.6],
      ['someone-else', 98],
    ]);
    const close = await app.services.identification.identify(photo, operator);
    expect(close).toMatchObject({ decision: 'no_match', reasons: [{ code: 'AMBIGUOUS_MATCH' }] });
    const audit = await app.store.audit.query({ action: 'identify' });
    expect(audit.items.map((e) => [e.outcome, e.engine]).sort()).toEqual([
      ['match', 'rekognition@1'],
      ['no_match', 'rekognition@1'],
    ]);
  });

  it('answers retry for no face and for an extreme pose, with our codes', async () => {
    rekognition
      .on(SearchUsersByImageCommand)
      .rejects(new InvalidParameterException({ message: 'There are no faces in the image.', ...meta }));
    const none = await app.services.identification.identify(photo, operator);
    expect(none).toMatchObject({ decision: 'retry', reasons: [{ code: 'NO_FACE' }] });
    searchFinds([], 70);
    const turned = await app.services.identification.identify(photo, operator);
    expect(turned).toMatchObject({ decision: 'retry', reasons: [{ code: 'EXTREME_POSE', threshold: 35 }] });
  });

  it('verifies the claimed employee, and never matches a suspended one', async () => {
    const ana = (await enrolAna()).employee;
    if (!ana) throw new Error('no employee');
    searchFinds([[ana.id, 97]]);
    const ok = await app.services.identification.verify('A1', photo, operator);
    expect(ok).toMatchObject({ decision: 'match', score: 0.97, threshold: 0.95 });
    await app.services.employees.suspend('A1', operator);
    const suspended = await app.services.identification.verify('A1', photo, operator);
    expect(suspended).toMatchObject({ decision: 'no_match', reasons: [{ code: 'EMPLOYEE_SUSPENDED' }] });
    searchFinds([[ana.id, 99.8]]);
    const identified = await app.services.identification.identify(photo, operator);
    expect(identified).toMatchObject({ decision: 'no_match', reasons: [{ code: 'EMPLOYEE_SUSPENDED' }] });
  });

  it('deletes one face, then erases the employee from the collection and the store', async () => {
    const ana = (await enrolAna()).employee;
    if (!ana) throw new Error('no employee');
    rekognition.on(DisassociateFacesCommand).resolves({});
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['face-ana-1'] });
    const deletion = await app.services.enrollment.deleteFace('A1', 'face-ana-1', operator);
    expect(deletion).toMatchObject({ templateId: 'face-ana-1', galleryEntryRemoved: true });
    expect(rekognition.commandCalls(DeleteFacesCommand)[0]?.args[0].input.FaceIds).toEqual(['face-ana-1']);

    rekognition.on(ListFacesCommand).resolves({ Faces: [{ FaceId: 'face-ana-2', UserId: ana.id }] });
    rekognition.on(DeleteUserCommand).resolves({});
    const report = await app.services.erasure.deleteEmployee('A1', operator);
    expect(report.verified).toEqual({ employeeRow: true, templates: true, photos: true, galleryIndex: true });
    expect(rekognition.commandCalls(DeleteUserCommand)[0]?.args[0].input.UserId).toBe(ana.id);
    expect(rekognition.commandCalls(DeleteFacesCommand).at(-1)?.args[0].input.FaceIds).toEqual([
      'face-ana-2',
    ]);
  });
});
