import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { isFacegateError } from '../../domain/errors.js';
import type { FactorSubject, SecondFactor } from '../../domain/second-factors.js';
import type { SecondFactorRepository } from '../../store/store.port.js';
import type { PasswordHasher } from '../password-hasher.js';
import type { UserVerification } from './factor-policy.js';
import type { PasskeyCeremony } from './passkey-ceremony.js';
import { normalizeRecoveryCode, recoveryCodeLabel } from './recovery-codes.js';
import { totpStepOf } from './totp.js';

/** The outcome of checking one presented factor: the factor used and its AMR value, or why it failed. */
export type FactorCheck =
  | { ok: true; factorId: string; amr: 'otp' | 'pin' | 'hwk' | 'swk' }
  | { ok: false; reason: string };

const fail = (reason: string): FactorCheck => ({ ok: false, reason });

async function active(
  factors: SecondFactorRepository,
  subject: FactorSubject,
  kind: SecondFactor['kind'],
): Promise<SecondFactor[]> {
  return (await factors.listBySubject(subject, kind)).filter((f) => f.status === 'active');
}

/** A TOTP code of the subject's active TOTP factor, within ±1 step and after the last step accepted. */
export async function checkTotp(
  factors: SecondFactorRepository,
  subject: FactorSubject,
  code: string,
  at: Date,
): Promise<FactorCheck> {
  const [factor] = await active(factors, subject, 'totp');
  return factor ? checkTotpFactor(factors, factor, code, at) : fail('NOT_ENROLLED');
}

/** A TOTP code of one factor (also a pending one, to confirm its enrolment). */
export async function checkTotpFactor(
  factors: SecondFactorRepository,
  factor: SecondFactor,
  code: string,
  at: Date,
): Promise<FactorCheck> {
  if (!factor.secret) return fail('NOT_ENROLLED');
  const step = totpStepOf(factor.secret, code, at);
  if (step === null) return fail('WRONG_CODE');
  // Atomic compare-and-set: of two requests with one code, only one advances the step.
  if (!(await factors.useTotpStep(factor.id, step, at.toISOString()))) return fail('REPLAYED');
  return { ok: true, factorId: factor.id, amr: 'otp' };
}

/** The subject's PIN (Argon2id); spends the hashing time even when there is none. */
export async function checkPin(
  factors: SecondFactorRepository,
  subject: FactorSubject,
  pin: string,
  at: Date,
  hasher: PasswordHasher,
): Promise<FactorCheck> {
  const [factor] = await active(factors, subject, 'pin');
  const ok = await hasher.verify(factor?.secretHash ?? undefined, pin.slice(0, 64));
  if (!factor) return fail('NOT_ENROLLED');
  if (!ok) return fail('WRONG_PIN');
  await factors.touch(factor.id, at.toISOString());
  return { ok: true, factorId: factor.id, amr: 'pin' };
}

/** One of the subject's recovery codes, which is deleted by its use (works once). */
export async function checkRecoveryCode(
  factors: SecondFactorRepository,
  subject: FactorSubject,
  input: string,
  hasher: PasswordHasher,
): Promise<FactorCheck> {
  const code = normalizeRecoveryCode(input.slice(0, 64));
  if (!code) return fail('WRONG_CODE');
  const candidates = (await active(factors, subject, 'recovery')).filter(
    (f) => f.label === recoveryCodeLabel(code),
  );
  for (const factor of candidates) {
    if (!factor.secretHash || !(await hasher.verify(factor.secretHash, code))) continue;
    // Deleting is the atomic use: a concurrent request with the same code finds it gone.
    return (await factors.delete(factor.id))
      ? { ok: true, factorId: factor.id, amr: 'otp' }
      : fail('REPLAYED');
  }
  if (candidates.length === 0) await hasher.verify(undefined, code);
  return fail('WRONG_CODE');
}

/**
 * A WebAuthn assertion by one of the subject's passkeys over the step's challenge; the signature counter must
 * grow (a clone of a counting authenticator is refused).
 */
export async function checkPasskey(
  factors: SecondFactorRepository,
  ceremony: PasskeyCeremony,
  subject: FactorSubject,
  request: {
    assertion: AuthenticationResponseJSON;
    challenge: string | null;
    userVerification: UserVerification;
  },
  at: Date,
): Promise<FactorCheck> {
  const credentialId = request.assertion?.id;
  if (!request.challenge || typeof credentialId !== 'string') return fail('NO_CHALLENGE');
  const factor = await factors.findByCredentialId(credentialId);
  const owner = factor?.subject;
  if (
    !factor?.passkey ||
    factor.status !== 'active' ||
    owner?.type !== subject.type ||
    owner.id !== subject.id
  ) {
    return fail('UNKNOWN_CREDENTIAL');
  }
  try {
    const verified = await ceremony.verifyAssertion(
      request.assertion,
      request.challenge,
      factor.passkey,
      request.userVerification,
    );
    if (!(await factors.useCounter(factor.id, verified.newCounter, at.toISOString()))) return fail('COUNTER');
  } catch (error) {
    if (isFacegateError(error, 'SECOND_FACTOR_FAILED'))
      return fail(String(error.details?.reason ?? 'ASSERTION_INVALID'));
    throw error;
  }
  return { ok: true, factorId: factor.id, amr: factor.passkey.multiDevice ? 'swk' : 'hwk' };
}
