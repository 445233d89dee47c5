import { describe, expect, it } from 'vitest';
import { matchSequence, neutralOf, observedActions } from './action-sequence.js';
import { LIVENESS_ACTIONS } from './challenge.js';
import { syntheticFrame } from './synthetic-frames.fixture.js';

const frames = [
  { yaw: 0 },
  { yaw: -22 },
  { yaw: 0, eyesClosed: true },
  { yaw: 0 },
  { yaw: 0, scale: 1.3 },
  { yaw: 0, pitch: -14 },
  { yaw: 20 },
].map((o, i) => syntheticFrame({ t: i * 200, ...o }));

describe('action sequence', () => {
  it('finds each action after the previous one', () => {
    const neutral = neutralOf(frames)!;
    expect(matchSequence(['turn_left', 'blink', 'come_closer', 'look_up'], frames, neutral)).toEqual({
      frames: [1, 2, 4, 5],
    });
    expect(matchSequence(['turn_right', 'turn_left'], frames, neutral).missing).toBe('turn_left');
  });

  it('does not count a blink whose eyes never open again', () => {
    const closedAtEnd = [...frames.slice(0, 2), syntheticFrame({ t: 2000, eyesClosed: true })];
    expect(matchSequence(['blink'], closedAtEnd, neutralOf(closedAtEnd)!).missing).toBe('blink');
  });

  it('derives the actions a recording happens to show, in order', () => {
    expect(observedActions(frames, LIVENESS_ACTIONS, 3)).toEqual(['turn_left', 'blink', 'come_closer']);
    expect(observedActions([frames[0]!, frames[0]!], LIVENESS_ACTIONS)).toEqual([]);
  });
});
