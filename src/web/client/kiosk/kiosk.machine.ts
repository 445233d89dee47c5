import type { DecisionDto } from '../shared/api-types.js';
import type {
  ChallengeDto,
  LivenessAction,
  LivenessChallengeDto,
  LivenessMode,
  LivenessResultDto,
  UnsupportedProvider,
} from '../shared/liveness-types.js';
import { failedActionOf, type KioskHint, toKioskHint, toLivenessHint } from './kiosk-hints.js';

/**
 * The kiosk flow as an explicit state machine: a pure `transition(state, event)` plus the timer each state arms.
 * The view renders the state; a controller performs the side effects (camera, upload, API call) and feeds events.
 *
 *   setup → idle → camera → capturing → checking → welcome | refused | retry | locked | error → idle
 *                  ↘ upload ────────────────────↗            retry → capturing (camera) / upload (photo)
 *
 * With the liveness mode `challenge` (the default), the camera does not send a single photo:
 *
 *   camera → challenge (fetching one) → prompting (steps 0…n, frames captured) → checking → welcome | refused
 *                 ↑                         ↓ expired                              ↓ liveness retry
 *                 └──────────────────── retry (with the actions to exclude) ←──────┘
 *
 * A provider this kiosk cannot run (`rekognition`: AWS's Face Liveness client streams the video; `none`: no
 * challenge exists) is refused on the spot, never answered with frames or a single photo instead. When the kiosk's
 * config announced it, Start goes there without opening the camera or asking for a challenge; a server that did
 * not announce it is caught when its challenge arrives:
 *
 *   idle / refused / upload --START--> unsupported → idle
 *   camera / retry --BEGIN_CHALLENGE--> unsupported
 *   challenge --CHALLENGE_READY (not local)--> unsupported
 *
 * When the face matched but the server asks for a second factor (`second_factor_required`):
 *
 *   checking → factor (choose, then PIN pad / code entry / passkey prompt) → factorChecking → welcome | refused
 *                 ↓ no input for `factorMs`                                   ↓ locked / error
 *               idle
 */

/** Where the image of an attempt came from. */
export type KioskSource = 'camera' | 'upload';

/** The person shown on the welcome screen. Never carries a score. */
export type WelcomeEmployee = NonNullable<DecisionDto['employee']>;

/**
 * The answer of `POST /v1/authenticate` as far as the kiosk reads it. `hint` is the server's sentence, or the code
 * of an API error the kiosk turns into a retry (`NO_FACE`...).
 */
export type AuthenticateResult = Pick<
  DecisionDto,
  'decision' | 'employee' | 'token' | 'hint' | 'secondFactor'
> & {
  liveness?: LivenessResultDto;
};

/** The second-factor step the server opened after a face match. */
export type FactorStep = NonNullable<DecisionDto['secondFactor']>;

/** The factors a kiosk asks for (recovery codes are for the admin console, not for a shared kiosk). */
export type KioskFactorKind = 'pin' | 'totp' | 'webauthn';

/** The kiosk factors a step allows, in the order the kiosk offers them. */
export function kioskFactorsOf(step: FactorStep): KioskFactorKind[] {
  return (['webauthn', 'totp', 'pin'] as const).filter((kind) => step.allowed.includes(kind));
}

/** Where the image(s) of an attempt came from: one camera frame, an uploaded photo, or a challenge's frames. */
export type CheckingSource = KioskSource | 'challenge';

export type KioskState =
  | { name: 'setup'; notice: string | null }
  | { name: 'idle'; notice: string | null }
  | { name: 'camera'; ready: boolean; attempt: number }
  | { name: 'upload'; attempt: number; hint: KioskHint | null; reason: 'no-camera' | 'denied' | 'chosen' }
  | { name: 'capturing'; attempt: number }
  | { name: 'challenge'; attempt: number; exclude: LivenessAction[] }
  | {
      name: 'prompting';
      attempt: number;
      exclude: LivenessAction[];
      challenge: ChallengeDto;
      /** Local epoch ms after which the challenge is abandoned (see `challengeDeadline`). */
      deadline: number;
      /** 0 = the frontal step, then 1…n = the challenge's actions. */
      step: number;
    }
  | { name: 'checking'; source: CheckingSource; attempt: number; exclude?: LivenessAction[] }
  | {
      name: 'factor';
      employee: WelcomeEmployee;
      step: FactorStep;
      /** The factor being entered; null while the person chooses among several. */
      kind: KioskFactorKind | null;
      /** Why the previous passkey prompt ended without an answer (cancelled, no key), shown on the screen. */
      notice: string | null;
    }
  | { name: 'factorChecking'; employee: WelcomeEmployee; step: FactorStep; kind: KioskFactorKind }
  | { name: 'welcome'; employee: WelcomeEmployee }
  /** `factor`: the face matched but the second factor was not accepted. */
  | { name: 'refused'; reason: 'no_match' | 'gave_up' | 'factor' }
  /** `exclude` is present for a failed challenge: the retry asks for a new challenge without those actions. */
  | { name: 'retry'; attempt: number; hint: KioskHint; exclude?: LivenessAction[] }
  | { name: 'locked'; seconds: number | null }
  | { name: 'error'; message: string }
  /** The server's liveness provider needs a client this kiosk does not have: it cannot sign anyone in. */
  | { name: 'unsupported'; provider: UnsupportedProvider };

export type KioskEvent =
  | { type: 'KEY_SAVED' }
  | { type: 'KEY_REJECTED' }
  | { type: 'START' }
  | { type: 'CAMERA_READY' }
  | { type: 'CAMERA_UNAVAILABLE'; reason: 'no-camera' | 'denied' }
  | { type: 'USE_UPLOAD' }
  | { type: 'CAPTURE' }
  | { type: 'BEGIN_CHALLENGE' }
  /** A challenge without `provider` (a server older than providers) is the local one. */
  | { type: 'CHALLENGE_READY'; challenge: LivenessChallengeDto | ChallengeDto; deadline: number }
  | { type: 'PROMPT_STEP'; step: number }
  | { type: 'FRAMES_READY' }
  | { type: 'FRAME_REJECTED'; hint: KioskHint }
  | { type: 'IMAGE_READY'; source: KioskSource }
  | { type: 'RESULT'; result: AuthenticateResult }
  | { type: 'FACTOR_CHOSEN'; kind: KioskFactorKind }
  /** The PIN, code or passkey answer is ready (the controller holds it) and goes to the server. */
  | { type: 'FACTOR_SUBMITTED' }
  /** The passkey prompt ended without an answer; the person may try again or choose another factor. */
  | { type: 'FACTOR_PROMPT_FAILED'; message: string }
  | { type: 'FACTOR_ACCEPTED'; employee: WelcomeEmployee }
  | { type: 'FACTOR_REFUSED' }
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
  /** Challenges a person may fail (retry) in a row before the kiosk gives up. */
  maxChallenges: number;
  /** How long the welcome / refusal / error screens stay up. */
  resultMs: number;
  /** Minimum and maximum time the lockout message stays up. */
  lockedMinMs: number;
  lockedMaxMs: number;
  /** The upload screen goes back to idle after this much inactivity. */
  uploadIdleMs: number;
  /** A second-factor screen goes back to idle after this long without a factor (the step expires soon after). */
  factorMs: number;
}

/** Default timings: a frame about every second, results shown for five seconds. */
export const DEFAULT_TIMINGS: KioskTimings = {
  autoCaptureMs: 900,
  retryMs: 1000,
  maxAttempts: 12,
  maxChallenges: 4,
  resultMs: 5000,
  lockedMinMs: 10_000,
  lockedMaxMs: 60_000,
  uploadIdleMs: 90_000,
  factorMs: 60_000,
};

/** The state of a kiosk page on load: set-up until an admin stores an API key on the device. */
export function initialKioskState(hasKey: boolean): KioskState {
  return hasKey ? { name: 'idle', notice: null } : { name: 'setup', notice: null };
}

/**
 * Computes the next state. Events that make no sense in the current state leave it unchanged
 * (for example a late API answer after the user cancelled). `unsupported` is the provider the kiosk's config
 * announced when this kiosk cannot run it: an attempt then stops before the camera and before any challenge.
 */
// Long by design: the whole state table of the kiosk in one switch, so every transition is read in one place.
export function kioskTransition(
  state: KioskState,
  event: KioskEvent,
  timings: KioskTimings = DEFAULT_TIMINGS,
  unsupported?: UnsupportedProvider,
): KioskState {
  // Nothing is filmed and no challenge is asked for that this kiosk could not answer.
  const start = (): KioskState =>
    unsupported
      ? { name: 'unsupported', provider: unsupported }
      : { name: 'camera', ready: false, attempt: 0 };
  const challenge = (attempt: number, exclude: LivenessAction[]): KioskState =>
    unsupported ? { name: 'unsupported', provider: unsupported } : { name: 'challenge', attempt, exclude };
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
      if (event.type === 'START') return start();
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
      if (event.type === 'BEGIN_CHALLENGE' && state.ready) return challenge(state.attempt, []);
      return state;
    case 'challenge':
    case 'prompting':
      return duringChallenge(state, event, timings);
    case 'retry':
      if (event.type === 'CAPTURE') return { name: 'capturing', attempt: state.attempt };
      if (event.type === 'BEGIN_CHALLENGE') return challenge(state.attempt, state.exclude ?? []);
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
      if (event.type === 'START') return start();
      return state;
    case 'checking':
      return afterChecking(state, event, timings);
    case 'factor':
    case 'factorChecking':
      return duringFactor(state, event);
    case 'refused':
      // "Try again" restarts the camera at once: the person does not have to press Start a second time.
      if (event.type === 'START') return start();
      return event.type === 'TIMEOUT' ? { name: 'idle', notice: null } : state;
    case 'welcome':
    case 'locked':
    case 'error':
    case 'unsupported':
      return event.type === 'TIMEOUT' ? { name: 'idle', notice: null } : state;
  }
}

/** The challenge states: fetching one, then prompting while the frames are captured. */
function duringChallenge(
  state: Extract<KioskState, { name: 'challenge' | 'prompting' }>,
  event: KioskEvent,
  timings: KioskTimings,
): KioskState {
  const { attempt, exclude } = state;
  switch (event.type) {
    case 'CHALLENGE_READY':
      if (state.name !== 'challenge') return state;
      // Only the local challenge is answered here; another provider's session is never faked with frames.
      if ('provider' in event.challenge && event.challenge.provider !== 'local')
        return { name: 'unsupported', provider: event.challenge.provider };
      return {
        name: 'prompting',
        attempt,
        exclude,
        challenge: event.challenge,
        deadline: event.deadline,
        step: 0,
      };
    case 'PROMPT_STEP':
      return state.name === 'prompting' && event.step !== state.step ? { ...state, step: event.step } : state;
    case 'FRAMES_READY':
      return state.name === 'prompting' ? { name: 'checking', source: 'challenge', attempt, exclude } : state;
    case 'TIMEOUT':
      return afterLivenessRetry(attempt, toLivenessHint('TIMEOUT'), exclude, timings);
    case 'LOCKED':
      return { name: 'locked', seconds: event.seconds };
    case 'FAILED':
      return { name: 'error', message: event.message };
    case 'CAMERA_UNAVAILABLE':
      return { name: 'upload', attempt, hint: null, reason: event.reason };
    default:
      return state;
  }
}

/** The answer to a challenge: `retry` asks for a new one (without a failed action), `refused` is a refusal. */
function afterLiveness(
  state: Extract<KioskState, { name: 'checking' }>,
  liveness: LivenessResultDto,
  timings: KioskTimings,
): KioskState | null {
  if (liveness.outcome === 'refused') return { name: 'refused', reason: 'no_match' };
  if (liveness.outcome !== 'retry') return null;
  const failed = failedActionOf(liveness.hint);
  const exclude = [...(state.exclude ?? [])];
  if (failed && !exclude.includes(failed)) exclude.push(failed);
  // At most two actions are left out: the server still has enough actions to draw a full challenge from.
  return afterLivenessRetry(state.attempt, toLivenessHint(liveness.hint), exclude.slice(-2), timings);
}

function afterLivenessRetry(
  attempt: number,
  hint: KioskHint,
  exclude: LivenessAction[],
  timings: KioskTimings,
): KioskState {
  const next = attempt + 1;
  return next >= timings.maxChallenges
    ? { name: 'refused', reason: 'gave_up' }
    : { name: 'retry', attempt: next, hint, exclude };
}

function afterChecking(
  state: Extract<KioskState, { name: 'checking' }>,
  event: KioskEvent,
  timings: KioskTimings,
): KioskState {
  switch (event.type) {
    case 'RESULT': {
      const { result } = event;
      const liveness = result.liveness ? afterLiveness(state, result.liveness, timings) : null;
      if (liveness) return liveness;
      // A challenge answered without a liveness verdict, or with `retry` as the decision, is never a welcome.
      if (state.source === 'challenge' && (!result.liveness || result.decision === 'retry'))
        return afterLivenessRetry(state.attempt, toLivenessHint(result.hint), state.exclude ?? [], timings);
      if (result.decision === 'second_factor_required')
        return result.secondFactor && result.employee
          ? factorState(result.employee, result.secondFactor)
          : { name: 'refused', reason: 'no_match' };
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

/** The factor screen of a step: straight to the one factor the kiosk can ask, else a choice (none: refused). */
function factorState(employee: WelcomeEmployee, step: FactorStep): KioskState {
  const kinds = kioskFactorsOf(step);
  if (kinds.length === 0) return { name: 'refused', reason: 'factor' };
  return {
    name: 'factor',
    employee,
    step,
    kind: kinds.length === 1 ? (kinds[0] ?? null) : null,
    notice: null,
  };
}

/** The second-factor states: choosing and entering a factor, then the server's answer. */
function duringFactor(
  state: Extract<KioskState, { name: 'factor' | 'factorChecking' }>,
  event: KioskEvent,
): KioskState {
  const { employee, step } = state;
  if (state.name === 'factor') {
    switch (event.type) {
      case 'FACTOR_CHOSEN':
        return kioskFactorsOf(step).includes(event.kind)
          ? { ...state, kind: event.kind, notice: null }
          : state;
      case 'FACTOR_PROMPT_FAILED':
        return { ...state, notice: event.message };
      case 'FACTOR_SUBMITTED':
        return state.kind ? { name: 'factorChecking', employee, step, kind: state.kind } : state;
      case 'TIMEOUT':
        return { name: 'idle', notice: null };
      default:
        return state;
    }
  }
  switch (event.type) {
    case 'FACTOR_ACCEPTED':
      return { name: 'welcome', employee: event.employee };
    case 'FACTOR_REFUSED':
      return { name: 'refused', reason: 'factor' };
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

/**
 * The timer a state arms on entry: after `ms`, the controller dispatches `event` (unless the state changed).
 * `mode` decides what the camera does once ready (a challenge unless the server said `off`); `now` is the
 * clock the challenge deadline is measured against.
 */
export function kioskTimer(
  state: KioskState,
  timings: KioskTimings = DEFAULT_TIMINGS,
  mode: LivenessMode = 'challenge',
  now: number = Date.now(),
): { ms: number; event: KioskEvent } | null {
  switch (state.name) {
    case 'camera': {
      if (!state.ready) return null;
      const event: KioskEvent = mode === 'off' ? { type: 'CAPTURE' } : { type: 'BEGIN_CHALLENGE' };
      return { ms: timings.autoCaptureMs, event };
    }
    case 'retry':
      return {
        ms: state.exclude ? timings.retryMs * 2 : timings.retryMs,
        event: state.exclude ? { type: 'BEGIN_CHALLENGE' } : { type: 'CAPTURE' },
      };
    case 'prompting':
      return { ms: Math.max(0, state.deadline - now), event: { type: 'TIMEOUT' } };
    case 'welcome':
    case 'refused':
    case 'error':
    case 'unsupported':
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
    case 'factor':
      return { ms: timings.factorMs, event: { type: 'TIMEOUT' } };
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
    state.name === 'challenge' ||
    state.name === 'prompting' ||
    state.name === 'checking'
  );
}
