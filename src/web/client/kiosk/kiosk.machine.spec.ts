import { describe, expect, it } from 'vitest';
import {
  type ChallengeDto,
  type LivenessChallengeDto,
  unsupportedProviderOf,
} from '../shared/liveness-types.js';
import {
  type AuthenticateResult,
  DEFAULT_TIMINGS,
  initialKioskState,
  type KioskEvent,
  type KioskState,
  kioskFactorsOf,
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
    expect(kioskTimer(run(starting, { type: 'CAMERA_READY' }), DEFAULT_TIMINGS, 'off')?.event).toEqual({
      type: 'CAPTURE',
    });
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

describe('kiosk state machine: liveness challenge', () => {
  const challenge: ChallengeDto = {
    id: 'c1',
    nonce: 'n1',
    actions: ['turn_left', 'blink'],
    expiresAt: '2026-11-29T12:01:00.000Z',
    frames: { min: 4, max: 12, maxWidth: 640 },
  };
  const ready: KioskState = { name: 'camera', ready: true, attempt: 0 };
  const prompting = (deadline = 60_000): KioskState => ({
    name: 'prompting',
    attempt: 0,
    exclude: [],
    challenge,
    deadline,
    step: 0,
  });
  const answered: KioskState = { name: 'checking', source: 'challenge', attempt: 0, exclude: [] };

  it('starts a challenge, not a photo, once the camera is ready (the default mode)', () => {
    expect(kioskTimer(ready)?.event).toEqual({ type: 'BEGIN_CHALLENGE' });
    expect(kioskTimer(ready, DEFAULT_TIMINGS, 'challenge')?.event).toEqual({ type: 'BEGIN_CHALLENGE' });
    expect(run(ready, { type: 'BEGIN_CHALLENGE' })).toEqual({ name: 'challenge', attempt: 0, exclude: [] });
    expect(run({ name: 'camera', ready: false, attempt: 0 }, { type: 'BEGIN_CHALLENGE' }).name).toBe(
      'camera',
    );
  });

  it('walks challenge → prompting (steps) → checking → welcome', () => {
    const s = run(
      ready,
      { type: 'BEGIN_CHALLENGE' },
      { type: 'CHALLENGE_READY', challenge, deadline: 60_000 },
    );
    expect(s).toEqual(prompting());
    expect(run(s, { type: 'PROMPT_STEP', step: 2 })).toMatchObject({ name: 'prompting', step: 2 });
    const checking = run(s, { type: 'PROMPT_STEP', step: 1 }, { type: 'FRAMES_READY' });
    expect(checking).toEqual(answered);
    const pass = { outcome: 'pass', hint: null } as const;
    expect(
      run(checking, { type: 'RESULT', result: { decision: 'match', employee: ada, liveness: pass } }),
    ).toEqual({ name: 'welcome', employee: ada });
    expect(run(checking, { type: 'RESULT', result: { decision: 'no_match', liveness: pass } })).toEqual({
      name: 'refused',
      reason: 'no_match',
    });
    expect(kioskNeedsCamera(s)).toBe(true);
    expect(kioskNeedsCamera({ name: 'challenge', attempt: 0, exclude: [] })).toBe(true);
  });

  it('times out at the challenge deadline into a retry that asks for a new challenge', () => {
    const s = prompting(60_000);
    expect(kioskTimer(s, DEFAULT_TIMINGS, 'challenge', 45_000)).toEqual({
      ms: 15_000,
      event: { type: 'TIMEOUT' },
    });
    expect(kioskTimer(s, DEFAULT_TIMINGS, 'challenge', 70_000)?.ms).toBe(0);
    const retry = run(s, { type: 'TIMEOUT' });
    expect(retry).toMatchObject({ name: 'retry', attempt: 1, exclude: [], hint: { code: 'TIMEOUT' } });
    expect(kioskTimer(retry)?.event).toEqual({ type: 'BEGIN_CHALLENGE' });
    expect(run(retry, { type: 'BEGIN_CHALLENGE' })).toEqual({ name: 'challenge', attempt: 1, exclude: [] });
  });

  it('retries with a new challenge that excludes the action the hint names, never welcoming', () => {
    const retry = run(answered, {
      type: 'RESULT',
      result: { decision: 'retry', liveness: { outcome: 'retry', hint: 'BLINK_NOT_SEEN' } },
    });
    expect(retry).toEqual({
      name: 'retry',
      attempt: 1,
      exclude: ['blink'],
      hint: { code: 'BLINK_NOT_SEEN', message: 'We could not see you blink. Let’s try other moves' },
    });
    expect(run(retry, { type: 'BEGIN_CHALLENGE' })).toEqual({
      name: 'challenge',
      attempt: 1,
      exclude: ['blink'],
    });
    const turn = run(answered, {
      type: 'RESULT',
      result: { decision: 'retry', liveness: { outcome: 'retry', hint: 'TURN_MORE' } },
    });
    expect(turn).toMatchObject({ name: 'retry', exclude: [], hint: { message: /Turn your head/ } });
    // A `match` that the server marks `retry` is still a retry.
    const odd = run(answered, {
      type: 'RESULT',
      result: { decision: 'match', employee: ada, liveness: { outcome: 'retry', hint: null } },
    });
    expect(odd.name).toBe('retry');
  });

  it('refuses a refused challenge and an answer without a liveness verdict is not a welcome', () => {
    expect(
      run(answered, {
        type: 'RESULT',
        result: { decision: 'no_match', liveness: { outcome: 'refused', hint: null } },
      }),
    ).toEqual({ name: 'refused', reason: 'no_match' });
    expect(run(answered, { type: 'RESULT', result: { decision: 'match', employee: ada } }).name).toBe(
      'retry',
    );
  });

  it('gives up after too many failed challenges', () => {
    const last: KioskState = { ...answered, attempt: DEFAULT_TIMINGS.maxChallenges - 1 };
    const result = { decision: 'retry', liveness: { outcome: 'retry', hint: 'TURN_MORE' } } as const;
    expect(run(last, { type: 'RESULT', result })).toEqual({ name: 'refused', reason: 'gave_up' });
  });

  it('ends a challenge on a lockout, an error, a camera loss or a cancel', () => {
    const fetching: KioskState = { name: 'challenge', attempt: 0, exclude: [] };
    expect(run(fetching, { type: 'LOCKED', seconds: 30 })).toEqual({ name: 'locked', seconds: 30 });
    expect(run(fetching, { type: 'FAILED', message: 'x' })).toEqual({ name: 'error', message: 'x' });
    expect(run(prompting(), { type: 'CAMERA_UNAVAILABLE', reason: 'denied' }).name).toBe('upload');
    expect(run(prompting(), { type: 'CANCEL' })).toEqual(idle);
    expect(run(prompting(), { type: 'CHALLENGE_READY', challenge, deadline: 1 })).toEqual(prompting());
    expect(run(fetching, { type: 'FRAMES_READY' })).toBe(fetching);
  });
});

describe('kiosk second-factor step', () => {
  const step = (allowed: string[]) =>
    ({
      stepToken: 'st-1',
      expiresAt: '2026-11-29T10:02:00.000Z',
      allowed,
      passkeyOptions: null,
    }) as NonNullable<AuthenticateResult['secondFactor']>;
  const asked = (allowed: string[]): KioskEvent => ({
    type: 'RESULT',
    result: { decision: 'second_factor_required', employee: ada, secondFactor: step(allowed) },
  });
  const checking: KioskState = { name: 'checking', source: 'upload', attempt: 0 };

  it('asks for the one factor the kiosk can take, never welcoming on the face alone', () => {
    const factor = run(checking, asked(['pin']));
    expect(factor).toEqual({ name: 'factor', employee: ada, step: step(['pin']), kind: 'pin', notice: null });
    expect(kioskNeedsCamera(factor)).toBe(false);
    // Recovery codes are for the console: a step that allows only them is refused at the kiosk.
    expect(run(checking, asked(['recovery']))).toEqual({ name: 'refused', reason: 'factor' });
    // An answer without its step (or without the employee) is a refusal too.
    expect(
      run(checking, { type: 'RESULT', result: { decision: 'second_factor_required', employee: ada } }),
    ).toEqual({ name: 'refused', reason: 'no_match' });
  });

  it('lets the person choose among several factors, only among the allowed ones', () => {
    const choosing = run(checking, asked(['totp', 'webauthn', 'recovery']));
    expect(choosing).toMatchObject({ name: 'factor', kind: null });
    expect(kioskFactorsOf(step(['totp', 'webauthn', 'pin']))).toEqual(['webauthn', 'totp', 'pin']);
    expect(run(choosing, { type: 'FACTOR_CHOSEN', kind: 'pin' })).toBe(choosing);
    expect(run(choosing, { type: 'FACTOR_SUBMITTED' })).toBe(choosing);
    const totp = run(choosing, { type: 'FACTOR_CHOSEN', kind: 'totp' });
    expect(totp).toMatchObject({ name: 'factor', kind: 'totp' });
    expect(run(totp, { type: 'FACTOR_SUBMITTED' })).toEqual({
      name: 'factorChecking',
      employee: ada,
      step: step(['totp', 'webauthn', 'recovery']),
      kind: 'totp',
    });
  });

  it('welcomes after an accepted factor and refuses after a refused one', () => {
    const sent = run(checking, asked(['pin']), { type: 'FACTOR_SUBMITTED' });
    expect(sent.name).toBe('factorChecking');
    expect(run(sent, { type: 'FACTOR_ACCEPTED', employee: ada })).toEqual({ name: 'welcome', employee: ada });
    const refused = run(sent, { type: 'FACTOR_REFUSED' });
    expect(refused).toEqual({ name: 'refused', reason: 'factor' });
    expect(run(refused, { type: 'TIMEOUT' })).toEqual(idle);
    expect(run(sent, { type: 'LOCKED', seconds: 30 })).toEqual({ name: 'locked', seconds: 30 });
    expect(run(sent, { type: 'FAILED', message: 'x' })).toEqual({ name: 'error', message: 'x' });
    // A late answer after a cancel changes nothing.
    expect(run(sent, { type: 'CANCEL' }, { type: 'FACTOR_ACCEPTED', employee: ada })).toEqual(idle);
  });

  it('keeps the passkey screen after a cancelled prompt, with a notice; another choice clears it', () => {
    const passkey = run(checking, asked(['webauthn', 'pin']), { type: 'FACTOR_CHOSEN', kind: 'webauthn' });
    const failed = run(passkey, { type: 'FACTOR_PROMPT_FAILED', message: 'No security key answered.' });
    expect(failed).toMatchObject({ name: 'factor', kind: 'webauthn', notice: 'No security key answered.' });
    expect(run(failed, { type: 'FACTOR_CHOSEN', kind: 'pin' })).toMatchObject({ kind: 'pin', notice: null });
  });

  it('goes back to idle when nobody enters a factor', () => {
    const factor = run(checking, asked(['totp']));
    expect(kioskTimer(factor)).toEqual({ ms: DEFAULT_TIMINGS.factorMs, event: { type: 'TIMEOUT' } });
    expect(run(factor, { type: 'TIMEOUT' })).toEqual(idle);
    // While the server checks the factor, no timer runs: its answer decides.
    expect(kioskTimer(run(factor, { type: 'FACTOR_SUBMITTED' }))).toBeNull();
  });

  it('asks the factor after a passed liveness challenge too', () => {
    const answeredChallenge: KioskState = { name: 'checking', source: 'challenge', attempt: 0, exclude: [] };
    const result: AuthenticateResult = {
      decision: 'second_factor_required',
      employee: ada,
      secondFactor: step(['pin']),
      liveness: { outcome: 'pass', hint: null },
    };
    expect(run(answeredChallenge, { type: 'RESULT', result }).name).toBe('factor');
  });
});

describe('kiosk state machine: liveness providers', () => {
  const ready: KioskState = { name: 'camera', ready: true, attempt: 0 };
  const local: LivenessChallengeDto = {
    provider: 'local',
    id: 'c1',
    nonce: 'n1',
    actions: ['turn_right', 'blink'],
    expiresAt: '2026-11-29T12:01:00.000Z',
    frames: { min: 4, max: 12, maxWidth: 640 },
  };
  const session: LivenessChallengeDto = {
    provider: 'rekognition',
    challengeId: 'c2',
    sessionId: 's2',
    region: 'eu-west-1',
    expiresAt: '2026-11-29T12:03:00.000Z',
    credentials: {
      accessKeyId: 'ASIA',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: '2026-11-29T12:15:00.000Z',
    },
  };

  it('prompts a challenge the local provider issued', () => {
    const s = run(
      ready,
      { type: 'BEGIN_CHALLENGE' },
      { type: 'CHALLENGE_READY', challenge: local, deadline: 60_000 },
    );
    expect(s).toMatchObject({ name: 'prompting', challenge: { id: 'c1' }, step: 0 });
  });

  it('refuses a Face Liveness session on the spot: no prompts, no frames, no photo, no camera', () => {
    const s = run(
      ready,
      { type: 'BEGIN_CHALLENGE' },
      { type: 'CHALLENGE_READY', challenge: session, deadline: 180_000 },
    );
    expect(s).toEqual({ name: 'unsupported', provider: 'rekognition' });
    expect(kioskNeedsCamera(s)).toBe(false);
    // Nothing the capture or the server could send moves it towards a welcome.
    for (const event of [
      { type: 'FRAMES_READY' },
      { type: 'CAPTURE' },
      { type: 'IMAGE_READY', source: 'camera' },
      { type: 'RESULT', result: { decision: 'match', employee: ada } },
    ] as const) {
      expect(run(s, event)).toEqual(s);
    }
    expect(kioskTimer(s)).toEqual({ ms: DEFAULT_TIMINGS.resultMs, event: { type: 'TIMEOUT' } });
    expect(run(s, { type: 'TIMEOUT' })).toEqual(idle);
    expect(run(s, { type: 'CANCEL' })).toEqual(idle);
  });

  it('goes straight to unsupported on Start when the config announced a provider it cannot run: no camera, no challenge', () => {
    for (const provider of ['rekognition', 'none'] as const) {
      const s = kioskTransition(idle, { type: 'START' }, DEFAULT_TIMINGS, provider);
      expect(s).toEqual({ name: 'unsupported', provider });
      expect(kioskNeedsCamera(s)).toBe(false);
      // Neither the camera nor a challenge can start from there; it only times out to idle.
      for (const event of [
        { type: 'CAMERA_READY' },
        { type: 'BEGIN_CHALLENGE' },
        { type: 'START' },
      ] as const) {
        expect(kioskTransition(s, event, DEFAULT_TIMINGS, provider)).toEqual(s);
      }
      expect(kioskTransition(s, { type: 'TIMEOUT' }, DEFAULT_TIMINGS, provider)).toEqual(idle);
      // "Try again" and "Try the camera" do not open the camera either.
      const refused: KioskState = { name: 'refused', reason: 'no_match' };
      const upload: KioskState = { name: 'upload', attempt: 0, hint: null, reason: 'chosen' };
      for (const from of [refused, upload]) {
        expect(kioskTransition(from, { type: 'START' }, DEFAULT_TIMINGS, provider).name).toBe('unsupported');
      }
    }
  });

  it('stops before asking for a challenge when the config arrives after the camera started', () => {
    const s = kioskTransition(ready, { type: 'BEGIN_CHALLENGE' }, DEFAULT_TIMINGS, 'rekognition');
    expect(s).toEqual({ name: 'unsupported', provider: 'rekognition' });
    const retry: KioskState = { name: 'retry', attempt: 1, hint: { code: 'X', message: 'x' }, exclude: [] };
    expect(kioskTransition(retry, { type: 'BEGIN_CHALLENGE' }, DEFAULT_TIMINGS, 'none')).toEqual({
      name: 'unsupported',
      provider: 'none',
    });
  });

  it('runs the local challenge, and a server that does not announce a provider, as before', () => {
    expect(kioskTransition(idle, { type: 'START' }, DEFAULT_TIMINGS, undefined)).toEqual({
      name: 'camera',
      ready: false,
      attempt: 0,
    });
    expect(run(ready, { type: 'BEGIN_CHALLENGE' })).toEqual({ name: 'challenge', attempt: 0, exclude: [] });
  });

  it('reads the provider it cannot run from the kiosk config, never under mode off', () => {
    const base = { name: 'Door', allowPhotoUpload: false, setupPinSet: false };
    expect(
      unsupportedProviderOf({ ...base, livenessMode: 'challenge', livenessProvider: 'rekognition' }),
    ).toBe('rekognition');
    expect(unsupportedProviderOf({ ...base, livenessMode: 'challenge', livenessProvider: 'none' })).toBe(
      'none',
    );
    expect(
      unsupportedProviderOf({ ...base, livenessMode: 'challenge', livenessProvider: 'local' }),
    ).toBeUndefined();
    expect(unsupportedProviderOf({ ...base, livenessMode: 'off', livenessProvider: null })).toBeUndefined();
    // An older server that does not send the field: the challenge's own provider is checked when it arrives.
    expect(unsupportedProviderOf({ ...base, livenessMode: 'challenge' })).toBeUndefined();
    expect(unsupportedProviderOf(null)).toBeUndefined();
  });

  it('ignores a session that arrives after the person cancelled', () => {
    expect(run(idle, { type: 'CHALLENGE_READY', challenge: session, deadline: 180_000 })).toEqual(idle);
  });
});
