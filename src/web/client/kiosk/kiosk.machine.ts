import type { DecisionDto } from '../shared/api-types.js';
import { type KioskHint, toKioskHint } from './kiosk-hints.js';

/**
 * The kiosk flow as an explicit state machine: a pure `transition(state, event)` plus the timer each state arms.
 * The view renders the state; a controller performs the side effects (camera, upload, API call) and feeds events.
 *
 *   setup → idle → camera → capturing → checking → welcome | refused | retry | locked | error → idle
 *                  ↘ upload ────────────────────↗            retry → capturing (camera) / upload (photo)
 *
 * Later steps (liveness challenge, second factor) become new states between `checking` and `welcome`,
 * entered from new `decision` values of the API.
 */

/** Where the image of an attempt came from. */
export type KioskSource = 'camera' | 'upload';

/** The person shown on the welcome screen. Never carries a score. */
export type WelcomeEmployee = NonNullable<DecisionDto['employee']>;

/**
 * The answer of `POST /v1/authenticate` as far as the kiosk reads it. `hint` is the server's sentence, or the code
 * of an API error the kiosk turns into a retry (`NO_FACE`...).
 */
export type AuthenticateResult = Pick<DecisionDto, 'decision' | 'employee' | 'token' | 'hint'>;

export type KioskState =
  | { name: 'setup'; notice: string | null }
  | { name: 'idle'; notice: string | null }
  | { name: 'camera'; ready: boolean; attempt: number }
  | { name: 'upload'; attempt: number; hint: KioskHint | null; reason: 'no-camera' | 'denied' | 'chosen' }
  | { name: 'capturing'; attempt: number }
  | { name: 'checking'; source: KioskSource; attempt: number }
  | { name: 'welcome'; employee: WelcomeEmployee }
  | { name: 'refused'; reason: 'no_match' | 'gave_up' }
  | { name: 'retry'; attempt: number; hint: KioskHint }
  | { name: 'locked'; seconds: number | null }
  | { name: 'error'; message: string };

export type KioskEvent =
  | { type: 'KEY_SAVED' }
  | { type: 'KEY_REJECTED' }
  | { type: 'START' }
  | { type: 'CAMERA_READY' }
  | { type: 'CAMERA_UNAVAILABLE'; reason: 'no-camera' | 'denied' }
  | { type: 'USE_UPLOAD' }
  | { type: 'CAPTURE' }
  | { type: 'FRAME_REJECTED'; hint: KioskHint }
  | { type: 'IMAGE_READY'; source: KioskSource }
  | { type: 'RESULT'; result: AuthenticateResult }
  | { type: 'LOCKED'; seconds: number | null }
  | { type: 'FAILED'; message: string }
  | { type: 'TIMEOUT' }
  | { type: 'CANCEL' };

/** Tunables of the flow. */
export interface KioskTimings {
  /** Delay before the first automatic capture once the preview runs. */
  autoCaptureMs: number;
  /** Delay between a `retry` hint and the next automatic capture. */
  retryMs: number;
  /** Automatic attempts (frames sent or rejected locally) before giving up. */
  maxAttempts: number;
  /** How long the welcome / refusal / error screens stay up. */
  resultMs: number;
  /** Minimum and maximum time the lockout message stays up. */
  lockedMinMs: number;
  lockedMaxMs: number;
  /** The upload screen goes back to idle after this much inactivity. */
  uploadIdleMs: number;
}

/** Default timings: a frame about every second, results shown for five seconds. */
export const DEFAULT_TIMINGS: KioskTimings = {
  autoCaptureMs: 900,
  retryMs: 1000,
  maxAttempts: 12,
  resultMs: 5000,
  lockedMinMs: 10_000,
  lockedMaxMs: 60_000,
  uploadIdleMs: 90_000,
};

/** The state of a kiosk page on load: set-up until an admin stores an API key on the device. */
export function initialKioskState(hasKey: boolean): KioskState {
  return hasKey ? { name: 'idle', notice: null } : { name: 'setup', notice: null };
}

/**
 * Computes the next state. Events that make no sense in the current state leave it unchanged
 * (for example a late API answer after the user cancelled).
 */
// Long by design: the whole state table of the kiosk in one switch, so every transition is read in one place.
export function kioskTransition(
  state: KioskState,
  event: KioskEvent,
  timings: KioskTimings = DEFAULT_TIMINGS,
): KioskState {
  if (event.type === 'KEY_REJECTED') {
    return {
      name: 'setup',
      notice: 'This kiosk key was refused. An administrator must set up the kiosk again.',
    };
  }
  if (event.type === 'CANCEL') return state.name === 'setup' ? state : { name: 'idle', notice: null };

  switch (state.name) {
    case 'setup':
      return event.type === 'KEY_SAVED' ? { name: 'idle', notice: null } : state;
    case 'idle':
      if (event.type === 'START') return { name: 'camera', ready: false, attempt: 0 };
      if (event.type === 'USE_UPLOAD') return { name: 'upload', attempt: 0, hint: null, reason: 'chosen' };
      return state;
    case 'camera':
      if (event.type === 'CAMERA_READY') return { ...state, ready: true };
      if (event.type === 'CAMERA_UNAVAILABLE') {
        return { name: 'upload', attempt: state.attempt, hint: null, reason: event.reason };
      }
      if (event.type === 'USE_UPLOAD')
        return { name: 'upload', attempt: state.attempt, hint: null, reason: 'chosen' };
      if (event.type === 'CAPTURE' && state.ready) return { name: 'capturing', attempt: state.attempt };
      return state;
    case 'retry':
      if (event.type === 'CAPTURE') return { name: 'capturing', attempt: state.attempt };
      if (event.type === 'USE_UPLOAD')
        return { name: 'upload', attempt: state.attempt, hint: null, reason: 'chosen' };
      if (event.type === 'CAMERA_UNAVAILABLE') {
        return { name: 'upload', attempt: state.attempt, hint: null, reason: event.reason };
      }
      return state;
    case 'capturing':
      if (event.type === 'FRAME_REJECTED') return afterRetry(state.attempt, event.hint, timings);
      if (event.type === 'IMAGE_READY') return { name: 'checking', source: 'camera', attempt: state.attempt };
      if (event.type === 'FAILED') return { name: 'error', message: event.message };
      if (event.type === 'CAMERA_UNAVAILABLE') {
        return { name: 'upload', attempt: state.attempt, hint: null, reason: event.reason };
      }
      return state;
    case 'upload':
      if (event.type === 'IMAGE_READY') return { name: 'checking', source: 'upload', attempt: state.attempt };
      if (event.type === 'TIMEOUT') return { name: 'idle', notice: null };
      if (event.type === 'START') return { name: 'camera', ready: false, attempt: 0 };
      return state;
    case 'checking':
      return afterChecking(state, event, timings);
    case 'refused':
      // "Try again" restarts the camera at once: the person does not have to press Start a second time.
      if (event.type === 'START') return { name: 'camera', ready: false, attempt: 0 };
      return event.type === 'TIMEOUT' ? { name: 'idle', notice: null } : state;
    case 'welcome':
    case 'locked':
    case 'error':
      return event.type === 'TIMEOUT' ? { name: 'idle', notice: null } : state;
  }
}

function afterChecking(
  state: Extract<KioskState, { name: 'checking' }>,
  event: KioskEvent,
  timings: KioskTimings,
): KioskState {
  switch (event.type) {
    case 'RESULT': {
      const { result } = event;
      if (result.decision === 'match' && result.employee)
        return { name: 'welcome', employee: result.employee };
      if (result.decision === 'retry') {
        const hint = toKioskHint(result.hint);
        if (state.source === 'upload')
          return { name: 'upload', attempt: state.attempt + 1, hint, reason: 'chosen' };
        return afterRetry(state.attempt, hint, timings);
      }
      // A match without an employee is treated as a refusal: never welcome an unnamed person.
      return { name: 'refused', reason: 'no_match' };
    }
    case 'LOCKED':
      return { name: 'locked', seconds: event.seconds };
    case 'FAILED':
      return { name: 'error', message: event.message };
    default:
      return state;
  }
}

function afterRetry(attempt: number, hint: KioskHint, timings: KioskTimings): KioskState {
  const next = attempt + 1;
  return next >= timings.maxAttempts
    ? { name: 'refused', reason: 'gave_up' }
    : { name: 'retry', attempt: next, hint };
}

/** The timer a state arms on entry: after `ms`, the controller dispatches `event` (unless the state changed). */
export function kioskTimer(
  state: KioskState,
  timings: KioskTimings = DEFAULT_TIMINGS,
): { ms: number; event: KioskEvent } | null {
  switch (state.name) {
    case 'camera':
      return state.ready ? { ms: timings.autoCaptureMs, event: { type: 'CAPTURE' } } : null;
    case 'retry':
      return { ms: timings.retryMs, event: { type: 'CAPTURE' } };
    case 'welcome':
    case 'refused':
    case 'error':
      return { ms: timings.resultMs, event: { type: 'TIMEOUT' } };
    case 'locked': {
      const wanted = (state.seconds ?? 0) * 1000;
      return {
        ms: Math.min(timings.lockedMaxMs, Math.max(timings.lockedMinMs, wanted)),
        event: { type: 'TIMEOUT' },
      };
    }
    case 'upload':
      return { ms: timings.uploadIdleMs, event: { type: 'TIMEOUT' } };
    default:
      return null;
  }
}

/** True while the camera preview should be running. */
export function kioskNeedsCamera(state: KioskState): boolean {
  return (
    state.name === 'camera' ||
    state.name === 'capturing' ||
    state.name === 'retry' ||
    state.name === 'checking'
  );
}
