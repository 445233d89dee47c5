/**
 * The admin pages' calls about second factors: the factors of an employee, of an admin user or of the signed-in
 * user (list, TOTP enrolment, PIN, passkey registration in this browser, recovery codes, reset), and the two
 * steps of a console sign-in, through the typed client: paths and shapes come from the OpenAPI document.
 */
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import { api, ok, setCsrfToken } from '../shared/api.js';
import type { JsonAnswer, LoginResponse } from '../shared/api-types.js';
import { type Me, setSessionHint } from './session.js';

/** A subject's factors and the recovery codes left. */
export type FactorListDto = JsonAnswer<'/v1/auth/me/factors', 'get'>;
/** One factor (never its secret). */
export type FactorDto = FactorListDto['factors'][number];
/** A TOTP enrolment waiting for its first code. */
export type TotpEnrolmentDto = JsonAnswer<'/v1/auth/me/factors/totp', 'post'>;
/** A second-factor step to complete. */
export type SecondFactorStepDto = Extract<LoginResponse, { secondFactor: unknown }>['secondFactor'];
/** A password sign-in that opened a session. */
type Session = Exclude<LoginResponse, { secondFactor: unknown }>;

/** Whose factors: an employee, an admin user, or the signed-in user. */
export type FactorSubject = { type: 'employee' | 'user'; id: string } | { type: 'me' };

/** The factor kinds a reset may name. */
export type ResettableKind = 'totp' | 'webauthn' | 'pin' | 'recovery';

type Owner = Exclude<FactorSubject, { type: 'me' }>;

/** The documented path of an employee's or a user's factors (`{id}` filled in by the client). */
function owner(subject: Owner): '/v1/employees/{id}' | '/v1/users/{id}' {
  return subject.type === 'employee' ? '/v1/employees/{id}' : '/v1/users/{id}';
}

/** The `{id}` path parameter of an owner's routes. */
const idOf = (subject: Owner) => ({ id: subject.id });

/** Lists the factors of `subject`. */
export function listFactors(subject: FactorSubject): Promise<FactorListDto> {
  if (subject.type === 'me') return ok(api.GET('/v1/auth/me/factors'));
  return ok(api.GET(`${owner(subject)}/factors`, { params: { path: idOf(subject) } }));
}

/** Starts a TOTP enrolment: the secret and its otpauth URI (active after one code). */
export function enrolTotp(subject: FactorSubject, label?: string): Promise<TotpEnrolmentDto> {
  const body = label ? { label } : {};
  if (subject.type === 'me') return ok(api.POST('/v1/auth/me/factors/totp', { body }));
  return ok(api.POST(`${owner(subject)}/factors/totp`, { params: { path: idOf(subject) }, body }));
}

/** Activates a TOTP enrolment with one valid code; returns the ten recovery codes, shown once. */
export async function confirmTotp(subject: FactorSubject, factorId: string, code: string): Promise<string[]> {
  const body = { code };
  const done =
    subject.type === 'me'
      ? await ok(
          api.POST('/v1/auth/me/factors/totp/{factorId}/confirm', { params: { path: { factorId } }, body }),
        )
      : await ok(
          api.POST(`${owner(subject)}/factors/totp/{factorId}/confirm`, {
            params: { path: { ...idOf(subject), factorId } },
            body,
          }),
        );
  return done.recoveryCodes;
}

/** Sets (or replaces) the PIN. */
export async function setPin(subject: FactorSubject, pin: string): Promise<void> {
  const body = { pin };
  if (subject.type === 'me') await ok(api.PUT('/v1/auth/me/factors/pin', { body }));
  else await ok(api.PUT(`${owner(subject)}/factors/pin`, { params: { path: idOf(subject) }, body }));
}

/** The server's options for registering a passkey of `subject`. */
async function passkeyOptions(subject: FactorSubject): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const options =
    subject.type === 'me'
      ? await ok(api.POST('/v1/auth/me/factors/passkey/options'))
      : await ok(api.POST(`${owner(subject)}/factors/passkey/options`, { params: { path: idOf(subject) } }));
  // WebAuthn's own format, passed through by the server as an object.
  return options as unknown as PublicKeyCredentialCreationOptionsJSON;
}

/**
 * Registers a passkey for `subject` with the authenticator of this browser (a security key, this device, or a
 * phone): options from the server, `navigator.credentials.create`, then the response back to the server. Returns
 * the recovery codes when it was the subject's first strong factor.
 */
export async function registerPasskey(subject: FactorSubject, label?: string): Promise<string[] | null> {
  const response = await startRegistration({ optionsJSON: await passkeyOptions(subject) });
  const body = label ? { response: { ...response }, label } : { response: { ...response } };
  const done =
    subject.type === 'me'
      ? await ok(api.POST('/v1/auth/me/factors/passkey', { body }))
      : await ok(api.POST(`${owner(subject)}/factors/passkey`, { params: { path: idOf(subject) }, body }));
  return done.recoveryCodes;
}

/** Replaces the recovery codes with ten new ones, shown once. */
export async function regenerateRecoveryCodes(subject: FactorSubject): Promise<string[]> {
  const done =
    subject.type === 'me'
      ? await ok(api.POST('/v1/auth/me/factors/recovery-codes'))
      : await ok(api.POST(`${owner(subject)}/factors/recovery-codes`, { params: { path: idOf(subject) } }));
  return done.recoveryCodes;
}

/** Removes every factor of `subject` (or only these kinds): a lost device. Returns how many were removed. */
export async function resetFactors(subject: FactorSubject, kinds?: ResettableKind[]): Promise<number> {
  const query = kinds ? { kinds: kinds.join(',') } : {};
  const done =
    subject.type === 'me'
      ? await ok(api.DELETE('/v1/auth/me/factors', { params: { query } }))
      : await ok(api.DELETE(`${owner(subject)}/factors`, { params: { path: idOf(subject), query } }));
  return done.removed;
}

/** Removes one factor. */
export async function removeFactor(subject: FactorSubject, factorId: string): Promise<void> {
  if (subject.type === 'me') {
    await ok(api.DELETE('/v1/auth/me/factors/{factorId}', { params: { path: { factorId } } }));
  } else {
    const path = { ...idOf(subject), factorId };
    await ok(api.DELETE(`${owner(subject)}/factors/{factorId}`, { params: { path } }));
  }
}

/** The outcome of a password sign-in: a session, or the second-factor step to complete first. */
export type SignIn = { kind: 'session'; me: Me } | { kind: 'step'; step: SecondFactorStepDto };

function opened(session: Session): Me {
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
  const answer = await ok(api.POST('/v1/auth/login', { body: { username, password } }));
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
  const body =
    answer.kind === 'webauthn'
      ? { stepToken, kind: answer.kind, assertion: { ...answer.assertion } }
      : { stepToken, kind: answer.kind, code: answer.code };
  return opened(await ok(api.POST('/v1/auth/login/second-factor', { body })));
}
