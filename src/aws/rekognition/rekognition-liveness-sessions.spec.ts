import {
  AccessDeniedException,
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
  RekognitionClient,
  SessionNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/fixtures/error-code.js';
import { isFacegateError } from '../../domain/errors.js';
import {
  RekognitionLivenessSessions,
  STREAMING_CREDENTIALS_SECONDS,
  STREAMING_SESSION_POLICY,
} from './rekognition-liveness-sessions.js';

const rekognition = mockClient(RekognitionClient);
const sts = mockClient(STSClient);
const meta = { $metadata: {} };
const ROLE = 'arn:aws:iam::123456789012:role/facegate-liveness-streaming';
const CHALLENGE = '0f8fad5b-d9cb-469f-a165-70867728950e';
const SESSION = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const sleeps: number[] = [];

function sessions(kmsKeyId?: string): RekognitionLivenessSessions {
  return new RekognitionLivenessSessions({
    rekognition: new RekognitionClient({ region: 'eu-west-1' }),
    sts: new STSClient({ region: 'eu-west-1' }),
    region: 'eu-west-1',
    streamingRoleArn: ROLE,
    ...(kmsKeyId ? { kmsKeyId } : {}),
    retry: { attempts: 3, baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
  });
}

beforeEach(() => {
  rekognition.reset();
  sts.reset();
  sleeps.length = 0;
});
afterEach(() => {
  rekognition.reset();
  sts.reset();
});

describe('Rekognition Face Liveness sessions', () => {
  it('creates a session with our challenge id as the idempotency token and asks for no audit images', async () => {
    rekognition.on(CreateFaceLivenessSessionCommand).resolves({ SessionId: SESSION });
    expect(await sessions().create(CHALLENGE)).toEqual({ sessionId: SESSION });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)[0]?.args[0].input).toEqual({
      ClientRequestToken: CHALLENGE,
      Settings: { AuditImagesLimit: 0 },
    });
    await sessions('alias/facegate-liveness').create(CHALLENGE);
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)[1]?.args[0].input).toEqual({
      ClientRequestToken: CHALLENGE,
      KmsKeyId: 'alias/facegate-liveness',
      Settings: { AuditImagesLimit: 0 },
    });
  });

  it('vends 15-minute credentials of the streaming role, narrowed by a session policy to StartFaceLivenessSession', async () => {
    const expiration = new Date('2026-11-29T12:15:00Z');
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: expiration,
      },
    });
    expect(await sessions().streamingCredentials(CHALLENGE)).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: '2026-11-29T12:15:00.000Z',
    });
    const input = sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
    expect(input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: `facegate-liveness-${CHALLENGE}`,
      DurationSeconds: STREAMING_CREDENTIALS_SECONDS,
      Policy: STREAMING_SESSION_POLICY,
    });
    expect(STREAMING_CREDENTIALS_SECONDS).toBe(900);
    expect(JSON.parse(input?.Policy ?? '{}')).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'rekognition:StartFaceLivenessSession', Resource: '*' }],
    });
    expect(input?.RoleSessionName?.length).toBeLessThanOrEqual(64);
  });

  it('reads status, confidence and the reference image of a session', async () => {
    const image = new Uint8Array([0xff, 0xd8, 0xff, 9]);
    rekognition.on(GetFaceLivenessSessionResultsCommand).resolves({
      SessionId: SESSION,
      Status: 'SUCCEEDED',
      Confidence: 97.25,
      ReferenceImage: { Bytes: image, BoundingBox: { Width: 0.4, Height: 0.5, Left: 0.3, Top: 0.2 } },
    });
    expect(await sessions().results(SESSION)).toEqual({
      status: 'SUCCEEDED',
      confidence: 97.25,
      referenceImage: image,
    });
    expect(rekognition.commandCalls(GetFaceLivenessSessionResultsCommand)[0]?.args[0].input).toEqual({
      SessionId: SESSION,
    });
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .resolves({ SessionId: SESSION, Status: 'IN_PROGRESS' });
    expect(await sessions().results(SESSION)).toEqual({
      status: 'IN_PROGRESS',
      confidence: null,
      referenceImage: null,
    });
  });

  it('reads a session Rekognition has forgotten as expired', async () => {
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .rejects(new SessionNotFoundException({ message: 'gone', ...meta }));
    expect(await sessions().results(SESSION)).toEqual({
      status: 'EXPIRED',
      confidence: null,
      referenceImage: null,
    });
  });

  it('retries throttling with backoff, then answers OVERLOADED (503); STS throttling too', async () => {
    rekognition
      .on(CreateFaceLivenessSessionCommand)
      .rejects(new ThrottlingException({ message: 'slow down', ...meta }));
    expect(await codeOf(sessions().create(CHALLENGE))).toBe('OVERLOADED');
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'slow down', ...meta }))
      .resolves({ SessionId: SESSION, Status: 'FAILED', Confidence: 3 });
    expect(await sessions().results(SESSION)).toMatchObject({ status: 'FAILED', confidence: 3 });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    sts.on(AssumeRoleCommand).rejects(throttled);
    expect(await codeOf(sessions().streamingCredentials(CHALLENGE))).toBe('OVERLOADED');
  });

  it('turns a denied call into CONFIG_INVALID without AWS’s text (it names the account), keeping it as the cause', async () => {
    const denied = new AccessDeniedException({
      message: 'User: arn:aws:sts::123456789012:assumed-role/api is not authorized',
      ...meta,
    });
    rekognition.on(CreateFaceLivenessSessionCommand).rejects(denied);
    const error = await sessions()
      .create(CHALLENGE)
      .catch((e: unknown) => e);
    expect(isFacegateError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).not.toContain('123456789012');
    expect((error as Error).cause).toBe(denied);
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(1);
    const stsDenied = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
    });
    sts.on(AssumeRoleCommand).rejects(stsDenied);
    expect(await codeOf(sessions().streamingCredentials(CHALLENGE))).toBe('CONFIG_INVALID');
  });

  it('refuses answers it cannot use: no session id, no credentials, an unknown status', async () => {
    rekognition.on(CreateFaceLivenessSessionCommand).resolves({});
    expect(await codeOf(sessions().create(CHALLENGE))).toBe('NOT_READY');
    sts.on(AssumeRoleCommand).resolves({});
    expect(await codeOf(sessions().streamingCredentials(CHALLENGE))).toBe('NOT_READY');
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .resolves({ SessionId: SESSION, Status: 'PAUSED' as 'FAILED' });
    expect(await codeOf(sessions().results(SESSION))).toBe('NOT_READY');
  });
});
