/**
 * The kiosk side of a liveness challenge: fetch one with the kiosk key, capture frames while the prompts play,
 * post them to `POST /v1/authenticate`. Each step maps its outcome to a machine event.
 */
import { ApiError, api, asIs, bearer, ok } from '../shared/api.js';
import { captureFrame } from '../shared/camera.js';
import type { ChallengeDecisionDto, ChallengeDto, LivenessAction } from '../shared/liveness-types.js';
import type { KioskEvent } from './kiosk.machine.js';
import { HINT_MESSAGES, LIVENESS_HINT_MESSAGES } from './kiosk-hints.js';
import { type CapturePlan, captureSchedule, challengeDeadline, stepAt } from './liveness-schedule.js';

/** JPEG quality of the challenge frames (smaller than a single photo's: up to 12 are sent at once). */
const FRAME_QUALITY = 0.85;
/** The widest frame sent, whatever the server allows. */
const FRAME_MAX_WIDTH = 640;

/** A face match whose second factor is not set up yet. */
export const NO_FACTOR_MESSAGE =
  'A second sign-in step is needed for you, but none is set up yet. Please ask an administrator.';

/** The server runs no liveness check this kiosk can answer (it refused the challenge with `NOT_SUPPORTED`). */
export const UNSUPPORTED_MESSAGE =
  'This kiosk cannot sign you in: the server has no liveness check it can run. Please ask at reception.';

/** Maps an API error of a kiosk call to a machine event (lockout, refused key, busy server, other). */
export function errorEvent(error: unknown): KioskEvent {
  if (!(error instanceof ApiError))
    return { type: 'FAILED', message: 'Something went wrong. Please try again.' };
  if (error.code === 'LOCKED_OUT') return { type: 'LOCKED', seconds: error.retryAfterSeconds ?? null };
  if (error.status === 401 || error.code === 'FORBIDDEN') return { type: 'KEY_REJECTED' };
  if (error.code === 'SECOND_FACTOR_NOT_ENROLLED') return { type: 'FAILED', message: NO_FACTOR_MESSAGE };
  if (error.code === 'NOT_SUPPORTED') return { type: 'FAILED', message: UNSUPPORTED_MESSAGE };
  if (error.code === 'RATE_LIMITED' || error.code === 'OVERLOADED') {
    return { type: 'FAILED', message: 'The system is busy. Please try again in a moment.' };
  }
  return { type: 'FAILED', message: 'Something went wrong. Please try again.' };
}

/** `POST /v1/liveness/challenges` with the kiosk key; `CHALLENGE_READY` or an error event. */
export async function fetchChallenge(
  key: string,
  exclude: readonly LivenessAction[],
  signal: AbortSignal,
): Promise<KioskEvent> {
  try {
    const body = exclude.length > 0 ? { exclude: [...exclude] } : {};
    const challenge = await ok(api.POST('/v1/liveness/challenges', { body, headers: bearer(key), signal }));
    return {
      type: 'CHALLENGE_READY',
      challenge,
      deadline: challengeDeadline(challenge.expiresAt, Date.now()),
    };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    return errorEvent(error);
  }
}

/** A frame of a challenge with its capture time (epoch ms). */
export interface TimedFrame {
  blob: Blob;
  at: number;
}

/** The plan of a challenge, within the server's frame limits. */
export function planOf(challenge: ChallengeDto): CapturePlan {
  return captureSchedule(challenge.actions, challenge.frames);
}

/**
 * Follows the plan with the clock: reports each step as it starts (`onStep`) and captures the planned frames.
 * Resolves with the frames in capture order; rejects with an AbortError when `signal` aborts.
 */
export async function captureChallenge(
  video: HTMLVideoElement,
  challenge: ChallengeDto,
  onStep: (step: number) => void,
  signal: AbortSignal,
): Promise<TimedFrame[]> {
  const plan = planOf(challenge);
  const maxWidth = Math.min(FRAME_MAX_WIDTH, challenge.frames.maxWidth || FRAME_MAX_WIDTH);
  const start = performance.now();
  const frames: TimedFrame[] = [];
  let shown = -1;
  const show = (step: number): void => {
    if (step === shown) return;
    shown = step;
    onStep(step);
  };
  for (const shot of plan.shots) {
    // Show each step as soon as it starts, not only when its first frame is due.
    while (performance.now() - start < shot.atMs) {
      show(stepAt(plan, performance.now() - start));
      await sleep(Math.min(50, shot.atMs - (performance.now() - start)), signal);
    }
    show(shot.step);
    const at = Math.max(Date.now(), (frames.at(-1)?.at ?? 0) + 1);
    const frame = await captureFrame(video, FRAME_QUALITY, maxWidth);
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
    frames.push({ blob: frame.blob, at });
  }
  return frames;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const id = window.setTimeout(resolve, Math.max(0, ms));
    signal.addEventListener(
      'abort',
      () => {
        window.clearTimeout(id);
        reject(new DOMException('aborted', 'AbortError'));
      },
      { once: true },
    );
  });
}

/** The multipart answer to a challenge: `challengeId`, `nonce`, one `frames` part per frame, `timestamps`. */
export function answerForm(challenge: ChallengeDto, frames: readonly TimedFrame[]): FormData {
  const form = new FormData();
  form.append('challengeId', challenge.id);
  form.append('nonce', challenge.nonce);
  form.append('timestamps', JSON.stringify(frames.map((f) => f.at)));
  frames.forEach((frame, i) => {
    form.append('frames', frame.blob, `frame-${String(i).padStart(2, '0')}.jpg`);
  });
  return form;
}

/** Posts the frames of a challenge to `POST /v1/authenticate`; maps the answer to a machine event. */
export async function answerChallenge(
  key: string,
  challenge: ChallengeDto,
  frames: readonly TimedFrame[],
  signal: AbortSignal,
): Promise<KioskEvent> {
  try {
    const form = answerForm(challenge, frames);
    const result: ChallengeDecisionDto = await ok(
      api.POST('/v1/authenticate', {
        body: {
          challengeId: challenge.id,
          nonce: challenge.nonce,
          frames: frames.map((frame) => frame.blob),
          timestamps: JSON.stringify(frames.map((frame) => frame.at)),
        },
        bodySerializer: asIs(() => form),
        headers: bearer(key),
        signal,
      }),
    );
    return { type: 'RESULT', result };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    if (error instanceof ApiError && error.code === 'EMPLOYEE_SUSPENDED')
      return { type: 'RESULT', result: { decision: 'no_match', liveness: { outcome: 'pass', hint: null } } };
    // An image error of the server (no face, too dark…) or an expired challenge is a retry with a new challenge.
    if (error instanceof ApiError && (error.code in HINT_MESSAGES || error.code in LIVENESS_HINT_MESSAGES))
      return {
        type: 'RESULT',
        result: { decision: 'retry', liveness: { outcome: 'retry', hint: error.code } },
      };
    return errorEvent(error);
  }
}
