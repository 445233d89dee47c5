import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_TTL_MS,
  createChallenge,
  drawActions,
  HEAD_ROTATIONS,
  LIVENESS_ACTIONS,
} from './challenge.js';

describe('challenges', () => {
  it('draws 2–3 distinct actions, always with a head rotation', () => {
    for (let i = 0; i < 200; i++) {
      const actions = drawActions();
      expect(actions.length === 2 || actions.length === 3).toBe(true);
      expect(new Set(actions).size).toBe(actions.length);
      expect(actions.some((a) => HEAD_ROTATIONS.includes(a))).toBe(true);
      for (const a of actions) expect(LIVENESS_ACTIONS).toContain(a);
    }
  });

  it('varies the actions and their order', () => {
    const seen = new Set(Array.from({ length: 200 }, () => drawActions({ count: 2 }).join(',')));
    expect(seen.size).toBeGreaterThan(8);
  });

  it('never uses an excluded action and refuses when no head rotation is left', () => {
    for (let i = 0; i < 50; i++) {
      expect(drawActions({ exclude: ['turn_left', 'blink'] })).not.toContain('turn_left');
    }
    expect(() => drawActions({ exclude: [...HEAD_ROTATIONS] })).toThrow();
  });

  it('gives a random id and nonce and expires after a minute', () => {
    const a = createChallenge({ now: 1000 });
    const b = createChallenge({ now: 1000 });
    expect(a.id).not.toBe(b.id);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.nonce.length).toBeGreaterThanOrEqual(22);
    expect(a.expiresAt - a.issuedAt).toBe(CHALLENGE_TTL_MS);
  });
});
