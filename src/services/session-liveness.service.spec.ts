import {
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
  type GetFaceLivenessSessionResultsCommandOutput,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../test/fixtures/error-code.js';
import { RekognitionLivenessSessions } from '../aws/rekognition/rekognition-liveness-sessions.js';
import { type Actor, rolePolicy } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { createMemoryStore, type MemoryStore } from '../store/testing/memory-store.js';
import type { SessionIssuedChallenge } from './liveness-provider.port.js';
import { SessionLivenessService } from './session-liveness.service.js';

// The rules of the Face Liveness provider on the real Rekognition adapter, with every AWS call mocked.

const rekognition = mockClient(RekognitionClient);
const sts = mockClient(STSClient);
const meta = { $metadata: {} };
const kiosk = { type: 'api_key' as const, id: 'door', role: 'kiosk' as const, ip: '198.51.100.7' };
const otherKiosk = { type: 'api_key' as const, id: 'lobby', role: 'kiosk' as const };
const auditor = { type: 'user' as const, id: 'u1', role: 'auditor' as const };
const reference = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 7]);

let nowMs: number;
let store: MemoryStore;
let service: SessionLivenessService;

beforeEach(() => {
  rekognition.reset();
  sts.reset();
  nowMs = Date.parse('2026-11-29T12:00:00Z');
  store = createMemoryStore(() => new Date(nowMs));
  service = new SessionLivenessService({
    policy: rolePolicy,
    clock: { now: () => new Date(nowMs) },
    store,
    state: new MemorySharedState({ now: () => nowMs }),
    sessions: new RekognitionLivenessSessions({
      rekognition: new RekognitionClient({ region: 'eu-west-1' }),
      sts: new STSClient({ region: 'eu-west-1' }),
      region: 'eu-west-1',
      streamingRoleArn: 'arn:aws:iam::123456789012:role/streaming',
      retry: { attempts: 2, baseDelayMs: 1, sleep: async () => {} },
    }),
    minConfidence: 80,
  });
  rekognition.on(CreateFaceLivenessSessionCommand).callsFake((input: { ClientRequestToken: string }) => ({
    SessionId: `session-of-${input.ClientRequestToken}`,
  }));
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIA1',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(nowMs + 900_000),
    },
  });
});
afterEach(() => {
  rekognition.reset();
  sts.reset();
});

function sessionEnds(result: Omit<GetFaceLivenessSessionResultsCommandOutput, '$metadata' | 'SessionId'>) {
  rekognition.on(GetFaceLivenessSessionResultsCommand).resolves({ SessionId: 's', ...result });
}

const resultCalls = () => rekognition.commandCalls(GetFaceLivenessSessionResultsCommand);

/** The newest audit record (the memory store lists newest first). */
async function lastAudit() {
  const { items } = await store.audit.query({ action: 'authenticate.liveness' });
  return items[0];
}

describe('Face Liveness sessions: issue', () => {
  it('creates a session named by the challenge id, with streaming credentials, expiring with the session', async () => {
    const c = await service.issueChallenge(kiosk);
    expect(c).toEqual({
      provider: 'rekognition',
      challengeId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sessionId: `session-of-${c.challengeId}`,
      region: 'eu-west-1',
      expiresAt: '2026-11-29T12:03:00.000Z',
      credentials: {
        accessKeyId: 'ASIA1',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        expiration: '2026-11-29T12:15:00.000Z',
      },
    });
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)[0]?.args[0].input).toMatchObject({
      ClientRequestToken: c.challengeId,
    });
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleSessionName).toBe(
      `facegate-liveness-${c.challengeId}`,
    );
    const second = await service.issueChallenge(kiosk);
    expect(second.challengeId).not.toBe(c.challengeId);
  });

  it('is only for callers who may log in with a face', async () => {
    expect(await codeOf(service.issueChallenge(auditor))).toBe('FORBIDDEN');
    expect(rekognition.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('Face Liveness sessions: answer', () => {
  let c: SessionIssuedChallenge;
  beforeEach(async () => {
    c = await service.issueChallenge(kiosk);
  });
  const answer = (actor: Actor = kiosk, id = c.challengeId) =>
    service.answer(actor, { challengeId: id }, 'authenticate');

  it('passes a succeeded session at or above the minimum confidence, with its reference image to match', async () => {
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 80, ReferenceImage: { Bytes: reference } });
    const outcome = await answer();
    expect(outcome).toMatchObject({ outcome: 'pass', best: { bytes: reference } });
    expect(outcome.best?.analysis).toBeUndefined();
    expect(resultCalls()[0]?.args[0].input).toEqual({ SessionId: c.sessionId });
    expect(await lastAudit()).toMatchObject({
      outcome: 'success',
      reason: null,
      actorId: 'door',
      ip: '198.51.100.7',
      details: {
        provider: 'rekognition',
        sessionId: c.sessionId,
        checks: [
          { check: 'session', passed: true, reason: 'ok' },
          { check: 'confidence', passed: true, value: 80, threshold: 80 },
          { check: 'reference_image', passed: true },
        ],
      },
    });
  });

  it('refuses a succeeded session below the minimum confidence', async () => {
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 79.99, ReferenceImage: { Bytes: reference } });
    const outcome = await answer();
    expect(outcome).toMatchObject({ outcome: 'refused', code: 'LIVENESS_FAILED' });
    expect(outcome.best).toBeUndefined();
    expect(await lastAudit()).toMatchObject({ outcome: 'refused', reason: 'low_confidence' });
  });

  it.each([
    ['FAILED', 'LIVENESS_FAILED', 'session_failed'],
    ['EXPIRED', 'CHALLENGE_EXPIRED', 'CHALLENGE_EXPIRED'],
  ] as const)('refuses a %s session (%s)', async (status, code, reason) => {
    sessionEnds({ Status: status, Confidence: 99 });
    expect(await answer()).toMatchObject({ outcome: 'refused', code });
    expect(await lastAudit()).toMatchObject({ outcome: 'refused', reason });
  });

  it.each(['CREATED', 'IN_PROGRESS'] as const)(
    'answers retry for a %s session, and the challenge is used up all the same',
    async (status) => {
      sessionEnds({ Status: status });
      expect(await answer()).toMatchObject({ outcome: 'retry', hint: `session_${status.toLowerCase()}` });
      expect(await lastAudit()).toMatchObject({
        outcome: 'retry',
        reason: `session_${status.toLowerCase()}`,
      });
      expect(await answer()).toMatchObject({ outcome: 'refused', code: 'CHALLENGE_USED' });
      expect(resultCalls()).toHaveLength(1);
    },
  );

  it('answers retry for a succeeded session without a reference image (nothing to match)', async () => {
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 99 });
    expect(await answer()).toMatchObject({ outcome: 'retry', hint: 'no_reference_image' });
  });

  it('refuses a replayed answer without asking Rekognition again', async () => {
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 99, ReferenceImage: { Bytes: reference } });
    expect((await answer()).outcome).toBe('pass');
    expect(await answer()).toMatchObject({ outcome: 'refused', code: 'CHALLENGE_USED' });
    expect(resultCalls()).toHaveLength(1);
    expect(await lastAudit()).toMatchObject({ outcome: 'refused', reason: 'CHALLENGE_USED' });
  });

  it('refuses an answer from another kiosk key without using up the challenge', async () => {
    sessionEnds({ Status: 'SUCCEEDED', Confidence: 99, ReferenceImage: { Bytes: reference } });
    expect(await answer(otherKiosk)).toMatchObject({ outcome: 'refused', code: 'CHALLENGE_FOREIGN' });
    expect(resultCalls()).toHaveLength(0);
    expect((await answer()).outcome).toBe('pass');
  });

  it('refuses an expired challenge without reading the session, and an unknown one', async () => {
    nowMs += 3 * 60_000 + 1;
    expect(await answer()).toMatchObject({ outcome: 'refused', code: 'CHALLENGE_EXPIRED' });
    expect(resultCalls()).toHaveLength(0);
    expect(await answer(kiosk, '6fa459ea-ee8a-3ca4-894e-db77e160355e')).toMatchObject({
      outcome: 'refused',
      code: 'CHALLENGE_INVALID',
    });
  });

  it('refuses frames: the video of a session goes to AWS, never to us', async () => {
    const frames = { challengeId: c.challengeId, nonce: 'n', frames: [{ bytes: reference, timestamp: 1 }] };
    expect(await codeOf(service.answer(kiosk, frames))).toBe('VALIDATION_FAILED');
    expect(await codeOf(service.answer(auditor, { challengeId: c.challengeId }))).toBe('FORBIDDEN');
    expect(resultCalls()).toHaveLength(0);
  });

  it('answers OVERLOADED when Rekognition keeps throttling the read (the challenge is spent)', async () => {
    rekognition
      .on(GetFaceLivenessSessionResultsCommand)
      .rejects(new ThrottlingException({ message: 'slow down', ...meta }));
    expect(await codeOf(answer())).toBe('OVERLOADED');
    expect(resultCalls()).toHaveLength(2);
    expect(await answer()).toMatchObject({ outcome: 'refused', code: 'CHALLENGE_USED' });
  });
});
