import { describe, expect, it } from 'vitest';
import { failedActionOf, toLivenessHint } from './kiosk-hints.js';
import {
  captureSchedule,
  challengeDeadline,
  DEFAULT_SCHEDULE,
  framesPerStep,
  promptGlyph,
  promptText,
  secondsLeft,
  stepAt,
} from './liveness-schedule.js';

const LIMITS = { min: 4, max: 12 };

describe('liveness capture schedule', () => {
  it('takes ≥ 1 frontal frame and ≥ 2 per action, within the frame limits', () => {
    for (const actions of [
      ['turn_left', 'blink'],
      ['turn_left', 'turn_right', 'look_up'],
      ['blink', 'come_closer', 'turn_right'],
    ] as const) {
      const counts = framesPerStep(actions, LIMITS);
      const total = counts.reduce((a, b) => a + b, 0);
      expect(counts[0]).toBeGreaterThanOrEqual(1);
      for (const c of counts.slice(1)) expect(c).toBeGreaterThanOrEqual(2);
      expect(total).toBeGreaterThanOrEqual(LIMITS.min);
      expect(total).toBeLessThanOrEqual(LIMITS.max);
    }
    expect(framesPerStep(['turn_left', 'turn_right', 'blink'], { min: 4, max: 7 })).toEqual([1, 2, 2, 2]);
    expect(framesPerStep(['turn_left', 'blink'], { min: 12, max: 12 }).reduce((a, b) => a + b, 0)).toBe(12);
  });

  it('gives a blink more, denser frames than a turn', () => {
    const counts = framesPerStep(['turn_left', 'blink', 'turn_right'], { min: 4, max: 9 });
    expect(counts[2]).toBeGreaterThan(counts[1] ?? 0);
    const plan = captureSchedule(['turn_left', 'blink'], LIMITS);
    const gaps = (step: number) => {
      const at = plan.shots.filter((s) => s.step === step).map((s) => s.atMs);
      return at.slice(1).map((t, i) => t - (at[i] ?? 0));
    };
    expect(gaps(2).every((g) => g === DEFAULT_SCHEDULE.blinkIntervalMs)).toBe(true);
    expect(gaps(1).every((g) => g === DEFAULT_SCHEDULE.intervalMs)).toBe(true);
  });

  it('orders steps and shots in time, each shot inside its step, after the reaction time', () => {
    const plan = captureSchedule(['turn_right', 'look_up', 'come_closer'], LIMITS);
    expect(plan.steps.map((s) => s.action)).toEqual([null, 'turn_right', 'look_up', 'come_closer']);
    const times = plan.shots.map((s) => s.atMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    for (const shot of plan.shots) {
      const step = plan.steps[shot.step];
      expect(shot.atMs).toBeLessThan(step?.endMs ?? 0);
      const lead = shot.step === 0 ? DEFAULT_SCHEDULE.frontalLeadMs : DEFAULT_SCHEDULE.reactionMs;
      expect(shot.atMs).toBeGreaterThanOrEqual((step?.startMs ?? 0) + lead);
      expect(stepAt(plan, shot.atMs)).toBe(shot.step);
    }
    expect(plan.totalMs).toBe(plan.steps.at(-1)?.endMs);
    expect(plan.totalMs).toBeLessThan(15_000);
    expect(stepAt(plan, plan.totalMs + 1000)).toBe(3);
  });

  it("points the arrow to the person's own side: the screen's left on a mirrored preview", () => {
    expect(promptGlyph('turn_left', true)).toBe('arrow-left');
    expect(promptGlyph('turn_right', true)).toBe('arrow-right');
    expect(promptGlyph('turn_left', false)).toBe('arrow-right');
    expect(promptGlyph('look_up', true)).toBe('arrow-up');
    expect(promptGlyph('blink', true)).toBe('eye');
    expect(promptGlyph(null, true)).toBe('face');
    expect(promptText('turn_left')).toBe('Turn your head to your left');
    expect(promptText('blink')).toMatch(/Blink/);
    expect(promptText('come_closer')).toBe('Come closer');
  });

  it('bounds the local deadline against clock skew and counts down in whole seconds', () => {
    const now = Date.parse('2026-11-29T12:00:00.000Z');
    expect(challengeDeadline('2026-11-29T12:01:00.000Z', now)).toBe(now + 60_000);
    expect(challengeDeadline('2026-11-29T11:00:00.000Z', now)).toBe(now + 10_000);
    expect(challengeDeadline('2026-11-30T12:00:00.000Z', now)).toBe(now + 120_000);
    expect(challengeDeadline('garbage', now)).toBe(now + 60_000);
    expect(secondsLeft(now + 1500, now)).toBe(2);
    expect(secondsLeft(now - 10, now)).toBe(0);
  });

  it('reads the failed action out of a retry hint and words liveness hints plainly', () => {
    expect(failedActionOf('BLINK_NOT_SEEN')).toBe('blink');
    expect(failedActionOf('TURN_LEFT_MISSED')).toBe('turn_left');
    expect(failedActionOf('TURN_MORE')).toBeNull();
    expect(failedActionOf(null)).toBeNull();
    expect(toLivenessHint('FACE_NOT_FOUND').message).toBe('Keep your face in the oval');
    expect(toLivenessHint('LOOK_UP_NOT_SEEN').message).toMatch(/look up.*other moves/);
    expect(toLivenessHint('SOMETHING_ELSE').code).toBe('LIVENESS_RETRY');
  });
});
