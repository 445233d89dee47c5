/**
 * The admin pages' calls about second factors: the factors of an employee, of an admin user or of the signed-in
 * user (list, TOTP enrolment, PIN, passkey registration in this browser, recovery codes, reset), and the two
 * steps of a console sign-in. Shapes come from the server's schemas.
 */
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import type { Static } from 'typebox';
import type * as Auth from '../../../api/schemas/auth.schema.js';
import type * as Mfa from '../../../api/schemas/mfa.schema.js';
import { apiRequest, setCsrfToken } from '../shared/api.js';
import type { LoginResponse } from '../shared/api-types.js';
import { type Me, setSessionHint } from './session.js';

/** A subject's factors and the recovery codes left. */
export type FactorListDto = Static<typeof Mfa.FactorListDto>;
/** One factor (never its secret). */
export type FactorDto = Static<typeof Mfa.FactorDto>;
/** A TOTP enrolment waiting for its first code. */
export type TotpEnrolmentDto = Static<typeof Mfa.TotpEnrolmentDto>;
/** A second-factor step to complete. */
export type SecondFactorStepDto = Static<typeof Mfa.SecondFactorStepDto>;
type LoginOrStep = Static<typeof Auth.LoginOrStepResponse>;

/** Whose factors: an employee, an admin user, or the signed-in user. */
export type FactorSubject = { type: 'employee' | 'user'; id: string } | { type: 'me' };

/** The factor kinds a reset may name. */
export type ResettableKind = 'totp' | 'webauthn' | 'pin' | 'recovery';

function base(subject: FactorSubject): string {
  if (subject.type === 'me') return '/auth/me/factors';
  const collection = subject.type === 'employee' ? 'employees' : 'users';
  return `/${collection}/${encodeURIComponent(subject.id)}/factors`;
}

/** Lists the factors of `subject`. */
export function listFactors(subject: FactorSubject): Promise<FactorListDto> {
  return apiRequest<FactorListDto>(base(subject));
}

/** Starts a TOTP enrolment: the secret and its otpauth URI (active after one code). */
export function enrolTotp(subject: FactorSubject, label?: string): Promise<TotpEnrolmentDto> {
  return apiRequest<TotpEnrolmentDto>(`${base(subject)}/totp`, {
    method: 'POST',
    body: label ? { label } : {},
  });
}

/** Activates a TOTP enrolment with one valid code; returns the ten recovery codes, shown once. */
export async function confirmTotp(subject: FactorSubject, factorId: string, code: string): Promise<string[]> {
  const path = `${base(subject)}/totp/${encodeURIComponent(factorId)}/confirm`;
  return (await apiRequest<{ recoveryCodes: string[] }>(path, { method: 'POST', body: { code } }))
    .recoveryCodes;
}

/** Sets (or replaces) the PIN. */
export async function setPin(subject: FactorSubject, pin: string): Promise<void> {
  await apiRequest<void>(`${base(subject)}/pin`, { method: 'PUT', body: { pin } });
}

/**
 * Registers a passkey for `subject` with the authenticator of this browser (a security key, this device, or a
 * phone): options from the server, `navigator.credentials.create`, then the response back to the server. Returns
 * the recovery codes when it was the subject's first strong factor.
 */
export async function registerPasskey(subject: FactorSubject, label?: string): Promise<string[] | null> {
  const optionsJSON = await apiRequest<PublicKeyCredentialCreationOptionsJSON>(
    `${base(subject)}/passkey/options`,
    { method: 'POST' },
  );
  const response = await startRegistration({ optionsJSON });
  const done = await apiRequest<{ factorId: string; recoveryCodes: string[] | null }>(
    `${base(subject)}/passkey`,
    { method: 'POST', body: label ? { response, label } : { response } },
  );
  return done.recoveryCodes;
}

/** Replaces the recovery codes with ten new ones, shown once. */
export async function regenerateRecoveryCodes(subject: FactorSubject): Promise<string[]> {
  return (
    await apiRequest<{ recoveryCodes: string[] }>(`${base(subject)}/recovery-codes`, { method: 'POST' })
  ).recoveryCodes;
}

/** Removes every factor of `subject` (or only these kinds): a lost device. Returns how many were removed. */
export async function resetFactors(subject: FactorSubject, kinds?: ResettableKind[]): Promise<number> {
  const query = kinds ? { kinds: kinds.join(',') } : undefined;
  return (await apiRequest<{ removed: number }>(base(subject), { method: 'DELETE', query })).removed;
}

/** Removes one factor. */
export async function removeFactor(subject: FactorSubject, factorId: string): Promise<void> {
  await apiRequest<void>(`${base(subject)}/${encodeURIComponent(factorId)}`, { method: 'DELETE' });
}

/** The outcome of a password sign-in: a session, or the second-factor step to complete first. */
export type SignIn = { kind: 'session'; me: Me } | { kind: 'step'; step: SecondFactorStepDto };

function opened(session: LoginResponse): Me {
  setSessionHint(true);
  setCsrfToken(session.csrfToken);
  return {
    id: session.user.id,
    username: session.user.username,
    role: session.user.role,
    csrfToken: session.csrfToken,
  };
}

/** First step of console sign-in: the password (cookie session). */
export async function signInWithPassword(username: string, password: string): Promise<SignIn> {
  const answer = await apiRequest<LoginOrStep>('/auth/login', {
    method: 'POST',
    body: { username, password },
  });
  if ('secondFactor' in answer) return { kind: 'step', step: answer.secondFactor };
  return { kind: 'session', me: opened(answer) };
}

/** The answer of a console step: an authenticator code, a recovery code, a PIN, or a passkey assertion. */
export type ConsoleAnswer =
  | { kind: 'totp' | 'recovery' | 'pin'; code: string }
  | { kind: 'webauthn'; assertion: AuthenticationResponseJSON };

/** Runs the passkey prompt of a console step with the options that came with it. */
export async function consolePasskey(step: SecondFactorStepDto): Promise<ConsoleAnswer> {
  const optionsJSON = step.passkeyOptions as PublicKeyCredentialRequestOptionsJSON | null;
  if (!optionsJSON) throw new Error('No passkey is registered for this account.');
  return { kind: 'webauthn', assertion: await startAuthentication({ optionsJSON }) };
}

/** Second step of console sign-in: opens the session (the step token is used up whatever the outcome). */
export async function completeSignIn(stepToken: string, answer: ConsoleAnswer): Promise<Me> {
  return opened(
    await apiRequest<LoginResponse>('/auth/login/second-factor', {
      method: 'POST',
      body: { stepToken, ...answer },
    }),
  );
}
