/**
 * The liveness challenge as the web client reads it (the HTTP contract shared with the server). Hand-written
 * until the server's schemas for it exist; then these become `Static<typeof …>` aliases in api-types.ts.
 */
import type { DecisionDto, KioskConfigDto } from './api-types.js';

/** An action of a challenge, in the person's own frame (left = the person's left). */
export type LivenessAction = 'turn_left' | 'turn_right' | 'look_up' | 'blink' | 'come_closer';

/** Every action, in a stable order. */
export const LIVENESS_ACTIONS: readonly LivenessAction[] = [
  'turn_left',
  'turn_right',
  'look_up',
  'blink',
  'come_closer',
];

/** How a kiosk signs people in: a server-issued challenge, or a single photo (trusted devices only). */
export type LivenessMode = 'challenge' | 'off';

/** `POST /v1/liveness/challenges` body. */
export interface ChallengeRequest {
  exclude?: LivenessAction[];
}

/** `POST /v1/liveness/challenges` response (201). */
export interface ChallengeDto {
  id: string;
  nonce: string;
  actions: LivenessAction[];
  expiresAt: string;
  frames: { min: number; max: number; maxWidth: number };
}

/** What a kiosk learns about the liveness checks of an answer: never a score. */
export interface LivenessResultDto {
  outcome: 'pass' | 'retry' | 'refused';
  hint: string | null;
}

/** `POST /v1/authenticate` response, with the liveness part the server adds under `challenge`. */
export type ChallengeDecisionDto = DecisionDto & { liveness?: LivenessResultDto };

/** `GET /v1/kiosk/config` response, with the liveness mode (absent from servers that predate it). */
export type KioskConfigWithLiveness = KioskConfigDto & { livenessMode?: LivenessMode };

/**
 * The liveness mode a kiosk uses. A server that does not say gets `challenge`: a kiosk never falls back to the
 * single-photo path on its own.
 */
export function livenessModeOf(config: KioskConfigWithLiveness | null): LivenessMode {
  return config?.livenessMode === 'off' ? 'off' : 'challenge';
}
