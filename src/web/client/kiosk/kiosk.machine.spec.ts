import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIMINGS,
  initialKioskState,
  type KioskEvent,
  type KioskState,
  kioskNeedsCamera,
  kioskTimer,
  kioskTransition,
} from './kiosk.machine.js';

const run = (state: KioskState, ...events: KioskEvent[]): KioskState =>
  events.reduce((s, e) => kioskTransition(s, e), state);

const idle: KioskState = { name: 'idle', notice: null };
const ada = { id: 'e1', badge: 'B1', firstName: 'Ada', lastName: 'Lovelace' };

describe('kiosk state machine', () => {
  it('starts in set-up without a key and idle with one', () => {
    expect(initialKioskState(false).name).toBe('setup');
    expect(initialKioskState(true).name).toBe('idle');
    expect(run(initialKioskState(false), { type: 'START' }).name).toBe('setup');
    expect(run(initialKioskState(false), { type: 'KEY_SAVED' }).name).toBe('idle');
  });

  it('restarts the camera directly from "Try again" after a refusal', () => {
    const refused: KioskState = { name: 'refused', reason: 'no_match' };
    expect(run(refused, { type: 'START' })).toEqual({ name: 'camera', ready: false, attempt: 0 });
    expect(run(refused, { type: 'TIMEOUT' }).name).toBe('idle');
  });

  it('walks idle → camera → capturing → checking → welcome → idle', () => {
    const states: string[] = [];
    let s: KioskState = idle;
    for (const e of [
      { type: 'START' },
      { type: 'CAMERA_READY' },
      { type: 'CAPTURE' },
      { type: 'IMAGE_READY', source: 'camera' },
      { type: 'RESULT', result: { decision: 'match', employee: ada } },
    ] as KioskEvent[]) {
      s = kioskTransition(s, e);
      states.push(s.name);
    }
    expect(states).toEqual(['camera', 'camera', 'capturing', 'checking', 'welcome']);
    expect(s).toEqual({ name: 'welcome', employee: ada });
    expect(kioskTimer(s)).toEqual({ ms: DEFAULT_TIMINGS.resultMs, event: { type: 'TIMEOUT' } });
    expect(run(s, { type: 'TIMEOUT' })).toEqual(idle);
  });

  it('does not capture before the preview is ready and arms auto-capture once it is', () => {
    const starting = run(idle, { type: 'START' });
    expect(run(starting, { type: 'CAPTURE' })).toBe(starting);
    expect(kioskTimer(starting)).toBeNull();
    expect(kioskTimer(run(starting, { type: 'CAMERA_READY' }))?.event).toEqual({ type: 'CAPTURE' });
  });

  it('refuses a no_match and a match without an employee', () => {
    const checking: KioskState = { name: 'checking', source: 'camera', attempt: 0 };
    expect(run(checking, { type: 'RESULT', result: { decision: 'no_match' } })).toEqual({
      name: 'refused',
      reason: 'no_match',
    });
    expect(run(checking, { type: 'RESULT', result: { decision: 'match' } }).name).toBe('refused');
  });

  it('turns retry answers into kiosk hints and captures again, then gives up', () => {
    const checking: KioskState = { name: 'checking', source: 'camera', attempt: 0 };
    const retry = run(checking, { type: 'RESULT', result: { decision: 'retry', hint: 'MULTIPLE_FACES' } });
    expect(retry).toEqual({
      name: 'retry',
      attempt: 1,
      hint: { code: 'MULTIPLE_FACES', message: 'One person at a time' },
    });
    expect(kioskTimer(retry)?.event).toEqual({ type: 'CAPTURE' });
    expect(run(retry, { type: 'CAPTURE' })).toEqual({ name: 'capturing', attempt: 1 });

    const small = run(checking, {
      type: 'RESULT',
      result: { decision: 'retry', hint: 'SMALL_FACE' },
    });
    expect(small).toMatchObject({ hint: { message: 'Move closer' } });

    const last: KioskState = { name: 'checking', source: 'camera', attempt: DEFAULT_TIMINGS.maxAttempts - 1 };
    expect(run(last, { type: 'RESULT', result: { decision: 'retry' } })).toEqual({
      name: 'refused',
      reason: 'gave_up',
    });
  });

  it('counts frames rejected by the local check as attempts', () => {
    const capturing: KioskState = { name: 'capturing', attempt: 2 };
    const hint = { code: 'TOO_DARK', message: 'Too dark' };
    expect(run(capturing, { type: 'FRAME_REJECTED', hint })).toEqual({ name: 'retry', attempt: 3, hint });
  });

  it('falls back to upload when there is no camera or permission is denied', () => {
    const s = run(idle, { type: 'START' }, { type: 'CAMERA_UNAVAILABLE', reason: 'denied' });
    expect(s).toEqual({ name: 'upload', attempt: 0, hint: null, reason: 'denied' });
    const checking = run(s, { type: 'IMAGE_READY', source: 'upload' });
    expect(checking).toEqual({ name: 'checking', source: 'upload', attempt: 0 });
    const again = run(checking, { type: 'RESULT', result: { decision: 'retry', hint: 'NO_FACE' } });
    expect(again).toMatchObject({ name: 'upload', hint: { message: 'Face the camera' } });
    expect(run(idle, { type: 'USE_UPLOAD' }).name).toBe('upload');
  });

  it('shows the lockout for the server-given delay within bounds', () => {
    const checking: KioskState = { name: 'checking', source: 'camera', attempt: 0 };
    const locked = run(checking, { type: 'LOCKED', seconds: 30 });
    expect(locked).toEqual({ name: 'locked', seconds: 30 });
    expect(kioskTimer(locked)?.ms).toBe(30_000);
    expect(kioskTimer({ name: 'locked', seconds: null })?.ms).toBe(DEFAULT_TIMINGS.lockedMinMs);
    expect(kioskTimer({ name: 'locked', seconds: 3600 })?.ms).toBe(DEFAULT_TIMINGS.lockedMaxMs);
  });

  it('ignores late answers after a cancel and sends a refused key back to set-up', () => {
    const cancelled = run({ name: 'checking', source: 'camera', attempt: 0 }, { type: 'CANCEL' });
    expect(cancelled).toEqual(idle);
    expect(run(cancelled, { type: 'RESULT', result: { decision: 'match', employee: ada } })).toEqual(idle);
    expect(run(idle, { type: 'KEY_REJECTED' }).name).toBe('setup');
    expect(run({ name: 'setup', notice: null }, { type: 'CANCEL' }).name).toBe('setup');
  });

  it('runs the camera only while an attempt is in progress', () => {
    expect(kioskNeedsCamera({ name: 'camera', ready: false, attempt: 0 })).toBe(true);
    expect(kioskNeedsCamera({ name: 'retry', attempt: 1, hint: { code: 'X', message: 'x' } })).toBe(true);
    expect(kioskNeedsCamera(idle)).toBe(false);
    expect(kioskNeedsCamera({ name: 'welcome', employee: ada })).toBe(false);
  });
});
