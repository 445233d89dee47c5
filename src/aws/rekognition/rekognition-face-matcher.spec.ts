import {
  AssociateFacesCommand,
  CompareFacesCommand,
  ConflictException,
  CreateCollectionCommand,
  CreateUserCommand,
  DeleteFacesCommand,
  DeleteUserCommand,
  DescribeCollectionCommand,
  DisassociateFacesCommand,
  IndexFacesCommand,
  InvalidImageFormatException,
  InvalidParameterException,
  ListFacesCommand,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ResourceNotFoundException,
  SearchUsersByImageCommand,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/fixtures/error-code.js';
import { isFacegateError } from '../../domain/errors.js';
import { RekognitionFaceMatcher } from './rekognition-face-matcher.js';
import { REKOGNITION_SIMILARITY, similarityFor } from './rekognition-thresholds.js';

const rekognition = mockClient(RekognitionClient);
const photo = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]);
const meta = { $metadata: {} };
const sleeps: number[] = [];

function matcher(): RekognitionFaceMatcher {
  return new RekognitionFaceMatcher({
    client: new RekognitionClient({ region: 'eu-west-1' }),
    collectionId: 'facegate-test',
    retry: { attempts: 3, baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
  });
}

function face(id: string, width: number, extra: Record<string, unknown> = {}) {
  return {
    Face: { FaceId: id, ExternalImageId: 'emp-1' },
    FaceDetail: {
      BoundingBox: { Width: width, Height: width, Left: 0.1, Top: 0.1 },
      Confidence: 99.5,
      Quality: { Brightness: 60, Sharpness: 80 },
      Pose: { Yaw: 3, Pitch: -2, Roll: 1 },
      ...extra,
    },
  };
}

beforeEach(() => {
  rekognition.reset();
  sleeps.length = 0;
  // No duplicate by default: the pre-enrolment search finds nobody.
  rekognition.on(SearchUsersByImageCommand).resolves({ UserMatches: [] });
});
afterEach(() => rekognition.reset());

describe('Rekognition matcher: collection', () => {
  it('creates the collection only when DescribeCollection says it is missing', async () => {
    rekognition
      .on(DescribeCollectionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no', ...meta }));
    rekognition.on(CreateCollectionCommand).resolves({ StatusCode: 200 });
    await matcher().ensureGallery();
    expect(rekognition.commandCalls(CreateCollectionCommand)[0]?.args[0].input).toEqual({
      CollectionId: 'facegate-test',
    });
    rekognition.on(DescribeCollectionCommand).resolves({ FaceCount: 3 });
    await matcher().ensureGallery();
    expect(rekognition.commandCalls(CreateCollectionCommand)).toHaveLength(1);
  });
});

describe('Rekognition matcher: enrolment', () => {
  it('indexes with ExternalImageId, QualityFilter and MaxFaces 1, creates the user and associates the face', async () => {
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [face('f-1', 0.4)], FaceModelVersion: '7.0' });
    rekognition.on(CreateUserCommand).resolves({});
    rekognition.on(AssociateFacesCommand).resolves({ AssociatedFaces: [{ FaceId: 'f-1' }] });
    const result = await matcher().enrol('emp-1', photo);
    expect(result).toMatchObject({ status: 'enrolled', faceId: 'f-1', modelVersion: '7.0' });
    expect(result.status === 'enrolled' && result.quality).toMatchObject({
      brightness: 0.6,
      sharpness: 0.8,
      yaw: 3,
    });
    expect(rekognition.commandCalls(IndexFacesCommand)[0]?.args[0].input).toEqual({
      CollectionId: 'facegate-test',
      Image: { Bytes: photo },
      ExternalImageId: 'emp-1',
      MaxFaces: 1,
      QualityFilter: 'AUTO',
      DetectionAttributes: ['DEFAULT'],
    });
    expect(rekognition.commandCalls(SearchUsersByImageCommand)[0]?.args[0].input).toMatchObject({
      UserMatchThreshold: REKOGNITION_SIMILARITY.strict,
    });
    expect(rekognition.commandCalls(CreateUserCommand)[0]?.args[0].input).toMatchObject({ UserId: 'emp-1' });
    expect(rekognition.commandCalls(AssociateFacesCommand)[0]?.args[0].input).toMatchObject({
      CollectionId: 'facegate-test',
      UserId: 'emp-1',
      FaceIds: ['f-1'],
    });
  });

  it('a second photo of an existing user (CreateUser ConflictException) is still associated', async () => {
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [face('f-2', 0.4)] });
    rekognition.on(CreateUserCommand).rejects(new ConflictException({ message: 'exists', ...meta }));
    rekognition.on(AssociateFacesCommand).resolves({ AssociatedFaces: [{ FaceId: 'f-2' }] });
    expect((await matcher().enrol('emp-1', photo)).status).toBe('enrolled');
    expect(rekognition.commandCalls(AssociateFacesCommand)).toHaveLength(1);
  });

  it.each([
    ['SMALL_BOUNDING_BOX', 'SMALL_FACE'],
    ['EXTREME_POSE', 'EXTREME_POSE'],
    ['LOW_BRIGHTNESS', 'LOW_BRIGHTNESS'],
    ['LOW_SHARPNESS', 'LOW_SHARPNESS'],
    ['LOW_CONFIDENCE', 'LOW_QUALITY'],
    ['LOW_FACE_QUALITY', 'LOW_QUALITY'],
  ] as const)('maps the unindexed reason %s to %s and indexes nothing', async (reason, code) => {
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [], UnindexedFaces: [{ Reasons: [reason] }] });
    const result = await matcher().enrol('emp-1', photo);
    expect(result).toEqual({
      status: 'refused',
      reasons: [expect.objectContaining({ code, source: reason })],
    });
    expect(rekognition.commandCalls(CreateUserCommand)).toHaveLength(0);
  });

  it('lists every distinct reason of a face once, and NO_FACE when nothing was found', async () => {
    rekognition.on(IndexFacesCommand).resolvesOnce({
      FaceRecords: [],
      UnindexedFaces: [{ Reasons: ['LOW_SHARPNESS', 'EXTREME_POSE'] }, { Reasons: ['LOW_SHARPNESS'] }],
    });
    const first = await matcher().enrol('emp-1', photo);
    expect(first.status === 'refused' && first.reasons.map((r) => r.code)).toEqual([
      'LOW_SHARPNESS',
      'EXTREME_POSE',
    ]);
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [], UnindexedFaces: [] });
    const none = await matcher().enrol('emp-1', photo);
    expect(none.status === 'refused' && none.reasons.map((r) => r.code)).toEqual(['NO_FACE']);
  });

  it('refuses MULTIPLE_FACES when a second face is at least half as wide, deleting the face it indexed', async () => {
    rekognition.on(IndexFacesCommand).resolves({
      FaceRecords: [face('f-3', 0.3)],
      UnindexedFaces: [{ Reasons: ['EXCEEDS_MAX_FACES'], FaceDetail: { BoundingBox: { Width: 0.2 } } }],
    });
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['f-3'] });
    const result = await matcher().enrol('emp-1', photo);
    expect(result.status === 'refused' && result.reasons[0]?.code).toBe('MULTIPLE_FACES');
    expect(rekognition.commandCalls(DeleteFacesCommand)[0]?.args[0].input.FaceIds).toEqual(['f-3']);
    expect(rekognition.commandCalls(AssociateFacesCommand)).toHaveLength(0);
  });

  it('keeps a photo whose other faces are small (background people)', async () => {
    rekognition.on(IndexFacesCommand).resolves({
      FaceRecords: [face('f-4', 0.3)],
      UnindexedFaces: [{ Reasons: ['EXCEEDS_MAX_FACES'], FaceDetail: { BoundingBox: { Width: 0.1 } } }],
    });
    rekognition.on(CreateUserCommand).resolves({});
    rekognition.on(AssociateFacesCommand).resolves({});
    expect((await matcher().enrol('emp-1', photo)).status).toBe('enrolled');
  });

  it('refuses DUPLICATE_FACE when the photo already matches another employee, unless forced', async () => {
    rekognition
      .on(SearchUsersByImageCommand)
      .resolves({ UserMatches: [{ Similarity: 99.6, User: { UserId: 'emp-2' } }] });
    const result = await matcher().enrol('emp-1', photo);
    expect(result).toEqual({
      status: 'refused',
      reasons: [expect.objectContaining({ code: 'DUPLICATE_FACE', employeeId: 'emp-2' })],
    });
    expect(rekognition.commandCalls(IndexFacesCommand)).toHaveLength(0);
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [face('f-5', 0.4)] });
    rekognition.on(CreateUserCommand).resolves({});
    rekognition.on(AssociateFacesCommand).resolves({});
    expect((await matcher().enrol('emp-1', photo, { force: true })).status).toBe('enrolled');
  });

  it('deletes the face and reports CONFLICT when Rekognition refuses the association', async () => {
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [face('f-6', 0.4)] });
    rekognition.on(CreateUserCommand).resolves({});
    rekognition.on(AssociateFacesCommand).resolves({
      UnsuccessfulFaceAssociations: [{ FaceId: 'f-6', Reasons: ['LOW_MATCH_CONFIDENCE'] }],
    });
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['f-6'] });
    expect(await codeOf(matcher().enrol('emp-1', photo))).toBe('CONFLICT');
    expect(rekognition.commandCalls(DeleteFacesCommand)).toHaveLength(1);
  });
});

describe('Rekognition matcher: search', () => {
  it('identify: SearchUsersByImage at the preset similarity, candidates best first with 0–1 scores', async () => {
    rekognition.on(SearchUsersByImageCommand).resolves({
      UserMatches: [
        { Similarity: 95.5, User: { UserId: 'emp-2' } },
        { Similarity: 99.2, User: { UserId: 'emp-1' } },
      ],
      SearchedFace: { FaceDetail: { BoundingBox: { Width: 0.4 }, Confidence: 99 } },
    });
    const found = await matcher().identify(photo, 'balanced');
    expect(found.candidates.map((c) => [c.employeeId, c.score])).toEqual([
      ['emp-1', 0.992],
      ['emp-2', 0.955],
    ]);
    expect(rekognition.commandCalls(SearchUsersByImageCommand)[0]?.args[0].input).toEqual({
      CollectionId: 'facegate-test',
      Image: { Bytes: photo },
      UserMatchThreshold: 95,
      MaxUsers: 50,
      QualityFilter: 'AUTO',
    });
  });

  it('identify: no face is NO_FACE, a comparable second face MULTIPLE_FACES, a bad image UNSUPPORTED_FORMAT', async () => {
    rekognition
      .on(SearchUsersByImageCommand)
      .rejectsOnce(
        new InvalidParameterException({
          message: 'There are no faces in the image. Should be at least 1.',
          ...meta,
        }),
      )
      .resolvesOnce({
        SearchedFace: { FaceDetail: { BoundingBox: { Width: 0.3 } } },
        UnsearchedFaces: [{ Reasons: ['FACE_NOT_LARGEST'], FaceDetails: { BoundingBox: { Width: 0.25 } } }],
      })
      .rejectsOnce(new InvalidImageFormatException({ message: 'bad', ...meta }));
    expect(await codeOf(matcher().identify(photo, 'strict'))).toBe('NO_FACE');
    expect(await codeOf(matcher().identify(photo, 'strict'))).toBe('MULTIPLE_FACES');
    expect(await codeOf(matcher().identify(photo, 'strict'))).toBe('UNSUPPORTED_FORMAT');
  });

  it('verify: the claimed user must reach the threshold; a better other employee is reported', async () => {
    rekognition.on(SearchUsersByImageCommand).resolves({
      UserMatches: [
        { Similarity: 99.5, User: { UserId: 'emp-2' } },
        { Similarity: 96, User: { UserId: 'emp-1' } },
      ],
    });
    const strict = await matcher().verify('emp-1', photo, 'strict');
    expect(strict).toMatchObject({
      match: false,
      similarity: 96,
      threshold: 99,
      betterOther: { employeeId: 'emp-2' },
    });
    const balanced = await matcher().verify('emp-1', photo, 'balanced');
    expect(balanced.match).toBe(true);
    const absent = await matcher().verify('emp-9', photo, 'lenient');
    expect(absent).toMatchObject({ match: false, similarity: 0 });
    expect(rekognition.commandCalls(SearchUsersByImageCommand)[0]?.args[0].input.UserMatchThreshold).toBe(90);
  });

  it('compare: CompareFaces with the reference as source and the probe as target', async () => {
    rekognition.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 99.3 }] });
    const reference = new Uint8Array([9, 9]);
    expect(await matcher().compare(photo, reference, 'strict')).toEqual({ match: true, similarity: 99.3 });
    expect(rekognition.commandCalls(CompareFacesCommand)[0]?.args[0].input).toMatchObject({
      SourceImage: { Bytes: reference },
      TargetImage: { Bytes: photo },
      SimilarityThreshold: 99,
    });
  });

  it('thresholds: presets map to 99/95/90 and explicit similarities are range-checked', () => {
    expect(['strict', 'balanced', 'lenient'].map((p) => similarityFor(p as 'strict'))).toEqual([99, 95, 90]);
    expect(similarityFor({ similarity: 97.5 })).toBe(97.5);
    expect(() => similarityFor({ similarity: 101 })).toThrow(/between 0 and 100/);
  });
});

describe('Rekognition matcher: erasure', () => {
  it('pages through ListFaces, deletes the user, then every face of the employee', async () => {
    rekognition
      .on(ListFacesCommand)
      .resolvesOnce({
        Faces: [
          { FaceId: 'a', ExternalImageId: 'emp-1', UserId: 'emp-1' },
          { FaceId: 'b', ExternalImageId: 'emp-2' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ Faces: [{ FaceId: 'c', ExternalImageId: 'emp-1' }] });
    rekognition.on(DeleteUserCommand).resolves({});
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['a', 'c'] });
    await matcher().removeEmployee('emp-1');
    const lists = rekognition.commandCalls(ListFacesCommand).map((c) => c.args[0].input.NextToken);
    expect(lists).toEqual([undefined, 'page-2']);
    expect(rekognition.commandCalls(DeleteUserCommand)[0]?.args[0].input).toMatchObject({ UserId: 'emp-1' });
    expect(rekognition.commandCalls(DeleteFacesCommand)[0]?.args[0].input).toEqual({
      CollectionId: 'facegate-test',
      FaceIds: ['a', 'c'],
    });
  });

  it('an unknown user is fine; a face Rekognition keeps is an error', async () => {
    rekognition.on(ListFacesCommand).resolves({ Faces: [{ FaceId: 'a', ExternalImageId: 'emp-1' }] });
    rekognition.on(DeleteUserCommand).rejects(new ResourceNotFoundException({ message: 'no user', ...meta }));
    rekognition.on(DeleteFacesCommand).resolves({
      UnsuccessfulFaceDeletions: [{ FaceId: 'a', Reasons: ['ASSOCIATED_TO_AN_EXISTING_USER'] }],
    });
    expect(await codeOf(matcher().removeEmployee('emp-1'))).toBe('INTERNAL');
  });

  it('removeFaces disassociates the faces from the user before deleting them', async () => {
    rekognition.on(DisassociateFacesCommand).resolves({});
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['x'] });
    await matcher().removeFaces('emp-1', ['x']);
    expect(rekognition.commandCalls(DisassociateFacesCommand)[0]?.args[0].input).toEqual({
      CollectionId: 'facegate-test',
      UserId: 'emp-1',
      FaceIds: ['x'],
    });
    expect(rekognition.commandCalls(DeleteFacesCommand)).toHaveLength(1);
  });
});

describe('Rekognition matcher: throttling', () => {
  it('retries throttled calls with exponential backoff, then succeeds', async () => {
    rekognition
      .on(SearchUsersByImageCommand)
      .rejectsOnce(new ThrottlingException({ message: 'slow down', ...meta }))
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', ...meta }))
      .resolves({ UserMatches: [{ Similarity: 99.9, User: { UserId: 'emp-1' } }] });
    const found = await matcher().identify(photo, 'strict');
    expect(found.candidates[0]?.employeeId).toBe('emp-1');
    expect(sleeps).toEqual([50, 100]);
    expect(rekognition.commandCalls(SearchUsersByImageCommand)).toHaveLength(3);
  });

  it('gives up with OVERLOADED after the last attempt, and never retries a client error', async () => {
    rekognition
      .on(SearchUsersByImageCommand)
      .rejects(new ThrottlingException({ message: 'slow down', ...meta }));
    expect(await codeOf(matcher().identify(photo, 'strict'))).toBe('OVERLOADED');
    expect(rekognition.commandCalls(SearchUsersByImageCommand)).toHaveLength(3);
    rekognition.reset();
    rekognition.on(IndexFacesCommand).rejects(new InvalidImageFormatException({ message: 'bad', ...meta }));
    expect(await codeOf(matcher().enrol('emp-1', photo, { force: true }))).toBe('UNSUPPORTED_FORMAT');
    expect(rekognition.commandCalls(IndexFacesCommand)).toHaveLength(1);
  });
});
