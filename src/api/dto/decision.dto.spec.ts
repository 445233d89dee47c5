import { describe, expect, it } from 'vitest';
import type { FaceLoginResult } from '../../auth/face-login.service.js';
import type { Actor } from '../../domain/access.js';
import type { MatchResult } from '../../services/identification.service.js';
import { hintFor, toDecisionDto } from './decision.dto.js';

const kiosk: Actor = { type: 'api_key', id: 'k', role: 'kiosk', name: 'door', ip: null };
const admin: Actor = { type: 'user', id: 'u', role: 'admin', name: 'root', ip: null };

function result(patch: Partial<MatchResult>): MatchResult {
  return {
    decision: 'no_match',
    score: 0.31,
    threshold: 0.41,
    preset: 'balanced',
    margin: 0.05,
    secondBest: 0.2,
    engine: { model: 'm', version: '1' },
    timings: { detect: 10, embed: 20, total: 35 },
    reasons: [{ code: 'NO_MATCH', message: 'No enrolled employee matches this face' }],
    ...patch,
  };
}

describe('toDecisionDto', () => {
  it('gives kiosks the decision only on no_match', () => {
    expect(toDecisionDto(kiosk, { result: result({}) })).toEqual({ decision: 'no_match' });
  });

  it('gives kiosks a coarse hint on retry, never the measured values', () => {
    const retry = result({
      decision: 'retry',
      reasons: [{ code: 'SMALL_FACE', message: 'Face is 31 px wide, need 40', value: 31, threshold: 40 }],
    });
    const dto = toDecisionDto(kiosk, { result: retry });
    expect(dto).toEqual({ decision: 'retry', hint: 'Move closer' });
    expect(JSON.stringify(dto)).not.toMatch(/31|40|SMALL_FACE/);
  });

  it('gives kiosks names and the token on match', () => {
    const employee = { id: 'e', badge: 'B', firstName: 'Ada', lastName: 'L' };
    const login: FaceLoginResult = {
      result: result({ decision: 'match', employee, reasons: [] }),
      employee,
      token: { token: 'jwt', expiresAt: '2026-01-01T00:01:00.000Z' },
    };
    expect(toDecisionDto(kiosk, login)).toEqual({
      decision: 'match',
      employee,
      token: 'jwt',
      tokenExpiresAt: '2026-01-01T00:01:00.000Z',
    });
  });

  it('gives admins score, threshold, reasons and timings', () => {
    expect(toDecisionDto(admin, { result: result({}) })).toMatchObject({
      decision: 'no_match',
      details: { score: 0.31, threshold: 0.41, reasons: [{ code: 'NO_MATCH' }], timings: { total: 35 } },
    });
  });

  it('falls back to a neutral hint', () => {
    expect(hintFor(undefined)).toBe('Try again');
    expect(hintFor('MULTIPLE_FACES')).toBe('One person at a time');
  });
});
