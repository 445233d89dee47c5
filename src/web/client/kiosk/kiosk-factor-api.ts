/**
 * The kiosk side of the second-factor step after a face match: fresh passkey options and the browser's passkey
 * prompt, then `POST /v1/authenticate/second-factor` with the kiosk key. Each outcome maps to a machine event.
 */
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  WebAuthnAbortService,
} from '@simplewebauthn/browser';
import { ApiError, apiRequest } from '../shared/api.js';
import type { DecisionDto } from '../shared/api-types.js';
import type { FactorStep, KioskEvent, KioskFactorKind } from './kiosk.machine.js';
import { errorEvent } from './kiosk-liveness.js';

/** What the person entered: a PIN or an authenticator-app code, or a passkey assertion. */
export type FactorAnswer =
  | { kind: Exclude<KioskFactorKind, 'webauthn'>; code: string }
  | { kind: 'webauthn'; assertion: AuthenticationResponseJSON };

/** The request body of an answer. */
function answerBody(stepToken: string, answer: FactorAnswer): Record<string, unknown> {
  return answer.kind === 'webauthn'
    ? { stepToken, kind: 'webauthn', assertion: answer.assertion }
    : { stepToken, kind: answer.kind, code: answer.code };
}

/** Sends the answer of a step: `FACTOR_ACCEPTED` (the welcome), `FACTOR_REFUSED`, or a lockout / error event. */
export async function submitFactor(
  key: string,
  stepToken: string,
  answer: FactorAnswer,
  signal: AbortSignal,
): Promise<KioskEvent> {
  try {
    const result = await apiRequest<DecisionDto>('/authenticate/second-factor', {
      method: 'POST',
      body: answerBody(stepToken, answer),
      headers: { authorization: `Bearer ${key}` },
      signal,
    });
    if (result.decision !== 'match' || !result.employee) return { type: 'FACTOR_REFUSED' };
    return { type: 'FACTOR_ACCEPTED', employee: result.employee };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    // A wrong factor, or a step that expired or was used: the step is over, the person starts again.
    if (
      error instanceof ApiError &&
      (error.code === 'SECOND_FACTOR_FAILED' ||
        error.code === 'STEP_TOKEN_INVALID' ||
        error.code === 'EMPLOYEE_SUSPENDED' ||
        error.code === 'VALIDATION_FAILED')
    )
      return { type: 'FACTOR_REFUSED' };
    return errorEvent(error);
  }
}

/**
 * Runs the passkey prompt of a step: fresh request options (a new single-use challenge) from
 * `POST /v1/authenticate/second-factor/options`, then `navigator.credentials.get` through @simplewebauthn/browser.
 * Resolves with the answer, or with the sentence to show when no key answered; an abort cancels the prompt.
 */
export async function passkeyAnswer(
  key: string,
  step: FactorStep,
  signal: AbortSignal,
): Promise<FactorAnswer | { notice: string }> {
  const fresh = await apiRequest<FactorStep>('/authenticate/second-factor/options', {
    method: 'POST',
    body: { stepToken: step.stepToken },
    headers: { authorization: `Bearer ${key}` },
    signal,
  });
  const options = (fresh.passkeyOptions ??
    step.passkeyOptions) as PublicKeyCredentialRequestOptionsJSON | null;
  if (!options) return { notice: 'No security key is registered for you. Please ask an administrator.' };
  const cancel = (): void => WebAuthnAbortService.cancelCeremony();
  signal.addEventListener('abort', cancel);
  try {
    return { kind: 'webauthn', assertion: await startAuthentication({ optionsJSON: options }) };
  } catch (error) {
    if (signal.aborted) throw error;
    return { notice: 'No security key answered. Touch the key when it blinks, then try again.' };
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
