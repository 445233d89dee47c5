import { describe, expect, it } from 'vitest';
import { type Actor, rolePolicy } from '../domain/access.js';
import { NoLivenessProvider } from './no-liveness.provider.js';

const kiosk: Actor = { type: 'api_key', id: 'door', role: 'kiosk', name: 'Door', ip: null };
const auditor: Actor = { type: 'user', id: 'u1', role: 'auditor', name: 'aud', ip: null };

describe('no liveness provider (FACEGATE_LIVENESS_PROVIDER=none)', () => {
  it('refuses every challenge and answer with NOT_SUPPORTED, never issuing one that nothing could check', async () => {
    const provider = new NoLivenessProvider({ policy: rolePolicy });
    expect(provider.kind).toBe('none');
    await expect(provider.issueChallenge(kiosk)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(provider.answer(kiosk, { challengeId: 'c1' })).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    });
  });

  it('tells a caller who may not log in with a face nothing about the server', async () => {
    const provider = new NoLivenessProvider({ policy: rolePolicy });
    await expect(provider.issueChallenge(auditor)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
