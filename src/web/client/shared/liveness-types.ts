/**
 * The liveness challenge as the web client reads it. The shapes are the generated ones of the OpenAPI document
 * (`api-types.ts`); this module adds the kiosk's names and the mode default.
 */
import type { ChallengeDto, DecisionDto, KioskConfigDto, LivenessChallengeDto } from './api-types.js';

export type { ChallengeDto, ChallengeRequest, LivenessChallengeDto } from './api-types.js';

/** A liveness provider a challenge can come from (`local` is the one this kiosk runs). */
export type LivenessProviderName = LivenessChallengeDto['provider'];

/** An action of a challenge, in the person's own frame (left = the person's left). */
export type LivenessAction = ChallengeDto['actions'][number];

/** Every action, in a stable order. */
export const LIVENESS_ACTIONS: readonly LivenessAction[] = [
  'turn_left',
  'turn_right',
  'look_up',
  'blink',
  'come_closer',
];

/** How a kiosk signs people in: a server-issued challenge, or a single photo (trusted devices only). */
export type LivenessMode = KioskConfigDto['livenessMode'];

/** What a kiosk learns about the liveness checks of an answer: never a score. */
export type LivenessResultDto = Pick<NonNullable<DecisionDto['liveness']>, 'outcome' | 'hint'>;

/** `POST /v1/authenticate` response, liveness part included. */
export type ChallengeDecisionDto = DecisionDto;

/** `GET /v1/kiosk/config` response (the liveness mode included). */
export type KioskConfigWithLiveness = KioskConfigDto;

/** A provider of a kiosk's challenges that this kiosk cannot run (it runs the local challenge only). */
export type UnsupportedProvider = Exclude<NonNullable<KioskConfigDto['livenessProvider']>, 'local'>;

/**
 * The provider the server announced for this kiosk when the kiosk cannot run it: `rekognition` (AWS's own client
 * streams the video) or `none` (no challenge can be had at all). Undefined when the kiosk can go ahead: the local
 * challenge, the mode `off` (no challenge), or a server that does not say (then a challenge's own `provider` is
 * checked when it arrives).
 */
export function unsupportedProviderOf(
  config: Partial<KioskConfigWithLiveness> | null,
): UnsupportedProvider | undefined {
  if (livenessModeOf(config) === 'off') return undefined;
  const provider = config?.livenessProvider;
  return provider === 'rekognition' || provider === 'none' ? provider : undefined;
}

/**
 * The liveness mode a kiosk uses. A server that does not say gets `challenge`: a kiosk never falls back to the
 * single-photo path on its own.
 */
export function livenessModeOf(config: Partial<KioskConfigWithLiveness> | null): LivenessMode {
  return config?.livenessMode === 'off' ? 'off' : 'challenge';
}
