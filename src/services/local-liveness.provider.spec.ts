import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../domain/errors.js';
import type {
  ChallengeAnswer,
  IssuedChallenge,
  LivenessOutcome,
  LivenessService,
} from './liveness.service.js';
import { LocalLivenessProvider } from './local-liveness.provider.js';

const kiosk = { type: 'api_key' as const, id: 'door', role: 'kiosk' as const };
const issued: IssuedChallenge = {
  id: 'c1',
  nonce: 'n1',
  actions: ['turn_left', 'blink'],
  expiresAt: '2026-11-29T12:01:00.000Z',
  frames: { min: 4, max: 12, maxWidth: 640 },
};

/** The local service as the provider sees it, recording what it was asked. */
function fakeService() {
  const answers: Array<{ answer: ChallengeAnswer; action: string | undefined }> = [];
  const service: Pick<LivenessService, 'issueChallenge' | 'answer'> = {
    issueChallenge: async () => issued,
    answer: async (_actor, answer, action) => {
      answers.push({ answer, action });
      return { outcome: 'refused', code: 'LIVENESS_FAILED', checks: [] } satisfies LivenessOutcome;
    },
  };
  return { service, answers };
}

describe('local liveness provider', () => {
  it('issues the local challenge unchanged, named by its provider', async () => {
    const { service } = fakeService();
    expect(await new LocalLivenessProvider(service).issueChallenge(kiosk)).toEqual({
      provider: 'local',
      ...issued,
    });
  });

  it('passes a frames answer to the local challenge, and refuses one without frames before it', async () => {
    const { service, answers } = fakeService();
    const provider = new LocalLivenessProvider(service);
    const frames: ChallengeAnswer = { challengeId: 'c1', nonce: 'n1', frames: [] };
    expect(await provider.answer(kiosk, frames, 'verify')).toMatchObject({ code: 'LIVENESS_FAILED' });
    expect(answers).toEqual([{ answer: frames, action: 'verify' }]);
    const error = await provider.answer(kiosk, { challengeId: 'c1' }).catch((e: unknown) => e);
    expect(isFacegateError(error, 'VALIDATION_FAILED')).toBe(true);
    expect(answers).toHaveLength(1);
  });
});
