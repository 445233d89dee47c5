import { randomUUID } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../../config/config.js';
import type { Actor, Permission } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { FactorKind, FactorSubject, SecondFactor } from '../../domain/second-factors.js';
import type { Clock } from '../../services/service-context.js';
import type { SecondFactorRepository, Store } from '../../store/store.port.js';
import type { PasswordHasher } from '../password-hasher.js';
import {
  checkPasskey,
  checkPin,
  checkRecoveryCode,
  checkTotp,
  checkTotpFactor,
  type FactorCheck,
} from './factor-checks.js';
import {
  type FactorRequirement,
  type PolicySubject,
  type PrimaryFactorKind,
  requiredFactors,
  type SecondFactorSettings,
} from './factor-policy.js';
import { MemoryOneTimeStore, type OneTimeStore } from './one-time-store.js';
import { PasskeyCeremony } from './passkey-ceremony.js';
import { checkPinPolicy } from './pin-policy.js';
import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeLabel,
} from './recovery-codes.js';
import { callerOf, type FirstFactor, type PendingStep, StepTokens } from './step-tokens.js';
import { newTotpSecret, type TotpProvisioning, totpProvisioning } from './totp.js';

/** The access check (the role policy of the composition root). */
export interface AccessPolicy {
  authorize(actor: Actor, permission: Permission): void | Promise<void>;
}

/** A failed second factor, for the lockout (hook it to `LockoutService.recordFailure`). */
export interface SecondFactorFailure {
  subject: FactorSubject;
  kind: FactorKind;
  reason: string;
  caller: string;
  actor: Actor;
}

/** What the service is built from. */
export interface SecondFactorServiceDeps {
  store: Store;
  clock: Clock;
  policy: AccessPolicy;
  /** Second-factor settings in force (stored settings over defaults). */
  settings: () => Promise<SecondFactorSettings>;
  webauthn: WebAuthnConfig;
  /** Hashes and checks PINs and recovery codes (Argon2id). */
  hasher: PasswordHasher;
  /** Pending steps; defaults to this process's memory (a shared store for several nodes). */
  steps?: OneTimeStore<PendingStep>;
  /** Registration challenges; defaults to this process's memory. */
  challenges?: OneTimeStore<string>;
  /** Called after every failed second factor of a known subject, after it was audited. */
  onFailure?: (failure: SecondFactorFailure) => void | Promise<void>;
}

/** A factor as people may see it (never secrets, hashes or keys). */
export interface FactorView {
  id: string;
  kind: Exclude<FactorKind, 'recovery'>;
  label: string | null;
  status: SecondFactor['status'];
  createdAt: string;
  lastUsedAt: string | null;
}

/** A subject's factors and how many unused recovery codes they hold. */
export interface FactorList {
  factors: FactorView[];
  recoveryCodesLeft: number;
}

/** A TOTP enrolment waiting for its first code. */
export interface TotpEnrolment extends TotpProvisioning {
  factorId: string;
}

/** A second-factor step the caller must complete. */
export interface SecondFactorStep {
  stepToken: string;
  expiresAt: string;
  allowed: FactorKind[];
  /** Options for `navigator.credentials.get` when a passkey is allowed. */
  passkeyOptions: PublicKeyCredentialRequestOptionsJSON | null;
}

/** What a caller presents to complete a step. */
export type StepResponse =
  | { kind: 'totp' | 'pin' | 'recovery'; code: string }
  | { kind: 'webauthn'; assertion: AuthenticationResponseJSON };

/** A completed step: who passed and the authentication methods (RFC 8176), first factor first. */
export interface CompletedStep {
  subject: FactorSubject;
  /** Set when the subject is an employee. */
  employeeId: string | null;
  amr: string[];
  purpose: string;
}

/** A pending TOTP enrolment must be confirmed within this time. */
const TOTP_ENROLMENT_TTL_MS = 10 * 60_000;

/**
 * Second factors of employees (after a face match) and admin users (after the password): enrolment of TOTP, PIN
 * and passkeys, recovery codes, the policy of which factor a person needs, and the single-use step that checks it.
 * Every change and every step is audited; failed steps are reported through `onFailure` for the lockout.
 */
export class SecondFactorService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly policy: AccessPolicy;
  private readonly settings: () => Promise<SecondFactorSettings>;
  private readonly ceremony: PasskeyCeremony;
  private readonly steps: StepTokens;
  private readonly rpName: string;
  private readonly onFailure: SecondFactorServiceDeps['onFailure'];
  private readonly hasher: PasswordHasher;

  constructor(deps: SecondFactorServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.policy = deps.policy;
    this.settings = deps.settings;
    const now = () => deps.clock.now();
    this.ceremony = new PasskeyCeremony(deps.webauthn, deps.challenges ?? new MemoryOneTimeStore(now), now);
    this.steps = new StepTokens(deps.steps ?? new MemoryOneTimeStore(now), now);
    this.rpName = deps.webauthn.rpName;
    this.onFailure = deps.onFailure;
    this.hasher = deps.hasher;
  }

  private get factors(): SecondFactorRepository {
    return factorsOf(this.store);
  }

  /** Starts a TOTP enrolment: a pending factor and its otpauth URI and QR code. It counts once confirmed. */
  async enrolTotp(actor: Actor, subject: FactorSubject, label?: string): Promise<TotpEnrolment> {
    await this.authorizeManage(actor, subject, 'enrol');
    const person = await this.describe(subject);
    const factors = this.factors;
    for (const stale of await factors.listBySubject(subject, 'totp')) {
      if (stale.status === 'pending') await factors.delete(stale.id);
    }
    const secret = newTotpSecret();
    const factor = await factors.add({
      id: randomUUID(),
      subject,
      kind: 'totp',
      status: 'pending',
      label: cleanLabel(label) ?? 'authenticator app',
      secret,
    });
    await this.audit(actor, subject, 'mfa.enrol', 'pending', null, { kind: 'totp', factorId: factor.id });
    return { factorId: factor.id, ...(await totpProvisioning(secret, this.rpName, person.name)) };
  }

  /**
   * Confirms a TOTP enrolment with one valid code: the factor becomes active, replaces any earlier TOTP of the
   * subject, and ten new recovery codes replace the old ones. The codes are returned this once.
   */
  async confirmTotp(
    actor: Actor,
    subject: FactorSubject,
    factorId: string,
    code: string,
  ): Promise<{ recoveryCodes: string[] }> {
    await this.authorizeManage(actor, subject, 'enrol');
    const now = this.clock.now();
    const factor = await this.factors.get(factorId);
    const fresh = factor && now.getTime() - Date.parse(factor.createdAt) < TOTP_ENROLMENT_TTL_MS;
    if (
      !factor ||
      !sameSubject(factor.subject, subject) ||
      factor.kind !== 'totp' ||
      factor.status !== 'pending'
    ) {
      throw new FacegateError('NOT_FOUND', 'No pending TOTP enrolment; start again');
    }
    if (!fresh) throw await this.enrolFailure(actor, subject, 'EXPIRED');
    const check = await checkTotpFactor(this.factors, factor, code, now);
    if (!check.ok) throw await this.enrolFailure(actor, subject, check.reason);
    const { codes, hashes } = await newRecoveryCodes(this.hasher);
    await this.store.transaction(async (tx) => {
      const factors = factorsOf(tx);
      for (const old of await factors.listBySubject(subject, 'totp')) {
        if (old.id !== factorId) await factors.delete(old.id);
      }
      if (!(await factors.activate(factorId, now.toISOString()))) {
        throw new FacegateError('CONFLICT', 'The TOTP enrolment was confirmed or removed meanwhile');
      }
      await replaceRecoveryCodes(factors, subject, hashes);
      await this.auditIn(tx, actor, subject, 'mfa.confirm', 'success', null, { kind: 'totp', factorId });
    });
    return { recoveryCodes: codes };
  }

  /** Replaces the subject's recovery codes with ten new ones, returned this once. */
  async regenerateRecoveryCodes(actor: Actor, subject: FactorSubject): Promise<{ recoveryCodes: string[] }> {
    await this.authorizeManage(actor, subject, 'enrol');
    const kinds = await this.enrolledKinds(subject);
    if (!kinds.includes('totp') && !kinds.includes('webauthn')) {
      throw new FacegateError(
        'VALIDATION_FAILED',
        'Recovery codes need an authenticator app or a passkey first',
      );
    }
    const { codes, hashes } = await newRecoveryCodes(this.hasher);
    await this.store.transaction(async (tx) => {
      await replaceRecoveryCodes(factorsOf(tx), subject, hashes);
      await this.auditIn(tx, actor, subject, 'mfa.recovery_codes', 'success', null, { count: codes.length });
    });
    return { recoveryCodes: codes };
  }

  /** Sets (or replaces) the subject's PIN: 6+ digits, not a trivial one, stored as an Argon2id hash. */
  async setPin(actor: Actor, subject: FactorSubject, pin: string): Promise<void> {
    await this.authorizeManage(actor, subject, 'enrol');
    await this.describe(subject);
    checkPinPolicy(pin);
    const secretHash = await this.hasher.hash(pin);
    await this.store.transaction(async (tx) => {
      const factors = factorsOf(tx);
      await factors.deleteBySubject(subject, ['pin']);
      const factor = await factors.add({
        id: randomUUID(),
        subject,
        kind: 'pin',
        status: 'active',
        label: 'PIN',
        secretHash,
      });
      await this.auditIn(tx, actor, subject, 'mfa.enrol', 'success', null, {
        kind: 'pin',
        factorId: factor.id,
      });
    });
  }

  /** Options for `navigator.credentials.create`; the challenge is held by the server, once, for two minutes. */
  async beginPasskeyRegistration(
    actor: Actor,
    subject: FactorSubject,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.authorizeManage(actor, subject, 'enrol');
    const person = await this.describe(subject);
    const existing = (await this.factors.listBySubject(subject, 'webauthn')).flatMap((f) =>
      f.passkey ? [f.passkey] : [],
    );
    const { userVerification } = await this.settings();
    return this.ceremony.registrationOptions(
      registrationKey(subject),
      { handle: `${subject.type}:${subject.id}`, name: person.name, displayName: person.displayName },
      existing,
      userVerification,
    );
  }

  /**
   * Verifies the browser's registration response and stores the passkey. When the subject has no recovery codes
   * yet, ten are made and returned this once.
   */
  async finishPasskeyRegistration(
    actor: Actor,
    subject: FactorSubject,
    response: RegistrationResponseJSON,
    label?: string,
  ): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    await this.authorizeManage(actor, subject, 'enrol');
    const { userVerification } = await this.settings();
    let passkey: SecondFactor['passkey'];
    try {
      passkey = await this.ceremony.verifyRegistration(registrationKey(subject), response, userVerification);
    } catch (error) {
      const reason = error instanceof FacegateError ? String(error.details?.reason ?? error.code) : 'INVALID';
      throw await this.enrolFailure(actor, subject, reason, 'webauthn');
    }
    const hasCodes = (await this.factors.listBySubject(subject, 'recovery')).length > 0;
    const fresh = hasCodes ? null : await newRecoveryCodes(this.hasher);
    const factorId = randomUUID();
    await this.store.transaction(async (tx) => {
      const factors = factorsOf(tx);
      await factors.add({
        id: factorId,
        subject,
        kind: 'webauthn',
        status: 'active',
        label: cleanLabel(label) ?? 'passkey',
        passkey,
      });
      if (fresh) await replaceRecoveryCodes(factors, subject, fresh.hashes);
      await this.auditIn(tx, actor, subject, 'mfa.enrol', 'success', null, { kind: 'webauthn', factorId });
    });
    return { factorId, recoveryCodes: fresh?.codes ?? null };
  }

  /** The subject's factors (no secrets) and how many recovery codes are left. */
  async listFactors(actor: Actor, subject: FactorSubject): Promise<FactorList> {
    await this.authorizeManage(actor, subject, 'read');
    const all = await this.factors.listBySubject(subject);
    const factors: FactorView[] = [];
    for (const f of all) {
      if (f.kind === 'recovery') continue;
      factors.push({
        id: f.id,
        kind: f.kind,
        label: f.label,
        status: f.status,
        createdAt: f.createdAt,
        lastUsedAt: f.lastUsedAt,
      });
    }
    return { factors, recoveryCodesLeft: all.filter((f) => f.kind === 'recovery').length };
  }

  /**
   * Admin action when a device is lost: removes the subject's factors (all, or only the given kinds; removing TOTP
   * or passkeys leaves recovery codes until none of either is left). Returns how many were removed.
   */
  async resetFactors(actor: Actor, subject: FactorSubject, kinds?: readonly FactorKind[]): Promise<number> {
    await this.authorizeManage(actor, subject, 'reset');
    return this.store.transaction(async (tx) => {
      const factors = factorsOf(tx);
      let removed = await factors.deleteBySubject(subject, kinds);
      const left = (await factors.listBySubject(subject)).map((f) => f.kind);
      if (!left.includes('totp') && !left.includes('webauthn')) {
        removed += await factors.deleteBySubject(subject, ['recovery']);
      }
      await this.auditIn(tx, actor, subject, 'mfa.reset', 'success', null, {
        kinds: kinds ?? 'all',
        removed,
      });
      return removed;
    });
  }

  /**
   * Removes one factor of the subject (e.g. one lost key of several), with the same rights and recovery-code rule
   * as {@link SecondFactorService.resetFactors}. Throws `NOT_FOUND` when the subject has no such factor.
   */
  async removeFactor(actor: Actor, subject: FactorSubject, factorId: string): Promise<void> {
    await this.authorizeManage(actor, subject, 'reset');
    await this.store.transaction(async (tx) => {
      const factors = factorsOf(tx);
      const factor = await factors.get(factorId);
      if (!factor || !sameSubject(factor.subject, subject) || factor.kind === 'recovery') {
        throw new FacegateError('NOT_FOUND', 'Second factor not found');
      }
      await factors.delete(factorId);
      const left = (await factors.listBySubject(subject)).map((f) => f.kind);
      const removedCodes =
        left.includes('totp') || left.includes('webauthn')
          ? 0
          : await factors.deleteBySubject(subject, ['recovery']);
      await this.auditIn(tx, actor, subject, 'mfa.reset', 'success', null, {
        kinds: [factor.kind],
        factorId,
        removed: 1 + removedCodes,
      });
    });
  }

  /** Which second factors the policy asks of `subject` now (role rules and enrolled factors). */
  async requirementFor(subject: FactorSubject): Promise<FactorRequirement> {
    const settings = await this.settings();
    return requiredFactors(settings, await this.policySubject(subject));
  }

  /**
   * After the first factor: null when the policy asks no second factor; otherwise a single-use step token for
   * `caller`, valid two minutes, with the factors allowed (and passkey options when a passkey is). Throws
   * `SECOND_FACTOR_NOT_ENROLLED` when the policy asks a factor the subject does not have. Checks no permission:
   * only the flow that has just checked the first factor calls it.
   */
  async issueStepToken(
    actor: Actor,
    request: { subject: FactorSubject; caller: string; first: FirstFactor; purpose: string },
  ): Promise<SecondFactorStep | null> {
    const { subject } = request;
    const settings = await this.settings();
    const requirement = requiredFactors(settings, await this.policySubject(subject));
    if (requirement.outcome === 'none') return null;
    if (requirement.outcome === 'not_enrolled') {
      await this.audit(actor, subject, 'mfa.step.issue', 'refused', 'SECOND_FACTOR_NOT_ENROLLED', {
        accepted: requirement.accepted,
        purpose: request.purpose,
      });
      throw new FacegateError(
        'SECOND_FACTOR_NOT_ENROLLED',
        'A second factor is required; ask an administrator to enrol one',
        {
          accepted: requirement.accepted,
        },
      );
    }
    const passkeyOptions = requirement.allowed.includes('webauthn')
      ? await this.ceremony.assertionOptions(await this.passkeysOf(subject), settings.userVerification)
      : null;
    const issued = await this.steps.issue({
      ...request,
      allowed: requirement.allowed,
      challenge: passkeyOptions?.challenge ?? null,
    });
    await this.audit(actor, subject, 'mfa.step.issue', 'success', null, {
      allowed: requirement.allowed,
      purpose: request.purpose,
    });
    return { ...issued, allowed: requirement.allowed, passkeyOptions };
  }

  /**
   * Completes a step with one factor. The step token is used up whatever the outcome; a wrong, replayed or
   * expired factor is audited, reported to `onFailure` and refused with `SECOND_FACTOR_FAILED`. `beforeCheck`
   * runs after the token is taken and before the factor is checked (the caller's lockout and account checks), so
   * nobody can guess a factor while locked out.
   */
  async completeStep(
    actor: Actor,
    stepToken: string,
    caller: string,
    response: StepResponse,
    beforeCheck?: (step: PendingStep) => Promise<void>,
  ): Promise<CompletedStep> {
    let step: PendingStep;
    try {
      step = await this.steps.consume(stepToken, caller);
    } catch (error) {
      await this.store.audit.append({
        action: 'mfa.step',
        outcome: 'refused',
        reason: 'STEP_TOKEN_INVALID',
        actorType: actor.type,
        actorId: actor.id,
        ip: actor.ip,
      });
      throw error;
    }
    await beforeCheck?.(step);
    const { subject } = step;
    const check = step.allowed.includes(response.kind)
      ? await this.check(step, response)
      : ({ ok: false, reason: 'NOT_ALLOWED' } satisfies FactorCheck);
    const details = { kind: response.kind, purpose: step.purpose };
    if (!check.ok) {
      await this.audit(actor, subject, 'mfa.step', 'failure', check.reason, details);
      await this.onFailure?.({ subject, kind: response.kind, reason: check.reason, caller, actor });
      throw new FacegateError('SECOND_FACTOR_FAILED', 'The second factor was not accepted', {
        reason: check.reason,
      });
    }
    const amr = [step.first, check.amr];
    await this.audit(actor, subject, 'mfa.step', 'success', null, {
      ...details,
      factorId: check.factorId,
      amr,
    });
    return {
      subject,
      employeeId: subject.type === 'employee' ? subject.id : null,
      amr,
      purpose: step.purpose,
    };
  }

  /**
   * Fresh WebAuthn request options of a pending face-login step of this caller (a new challenge replaces the
   * one issued with the step); the step token stays usable.
   */
  async stepOptions(actor: Actor, stepToken: string): Promise<SecondFactorStep> {
    let passkeyOptions: PublicKeyCredentialRequestOptionsJSON | null = null;
    const step = await this.steps.refresh(stepToken, callerOf(actor), async (pending) => {
      if (!pending.allowed.includes('webauthn')) return pending;
      const { userVerification } = await this.settings();
      passkeyOptions = await this.ceremony.assertionOptions(
        await this.passkeysOf(pending.subject),
        userVerification,
      );
      return { ...pending, challenge: passkeyOptions.challenge };
    });
    return { stepToken, expiresAt: step.expiresAt, allowed: step.allowed, passkeyOptions };
  }

  private async check(step: PendingStep, response: StepResponse): Promise<FactorCheck> {
    const now = this.clock.now();
    const factors = this.factors;
    if (response.kind === 'webauthn') {
      const { userVerification } = await this.settings();
      return checkPasskey(
        factors,
        this.ceremony,
        step.subject,
        { assertion: response.assertion, challenge: step.challenge, userVerification },
        now,
      );
    }
    if (typeof response.code !== 'string') return { ok: false, reason: 'WRONG_CODE' };
    if (response.kind === 'totp') return checkTotp(factors, step.subject, response.code, now);
    if (response.kind === 'pin') return checkPin(factors, step.subject, response.code, now, this.hasher);
    return checkRecoveryCode(factors, step.subject, response.code, this.hasher);
  }

  private async passkeysOf(subject: FactorSubject) {
    return (await this.factors.listBySubject(subject, 'webauthn')).flatMap((f) =>
      f.status === 'active' && f.passkey ? [f.passkey] : [],
    );
  }

  private async enrolledKinds(subject: FactorSubject): Promise<FactorKind[]> {
    // A store without factors has none enrolled: a policy that asks for none lets the face through, one that asks
    // for a factor still refuses (SECOND_FACTOR_NOT_ENROLLED), so the policy keeps failing closed.
    if (!this.store.secondFactors) return [];
    const all = await this.factors.listBySubject(subject);
    return [...new Set(all.filter((f) => f.status === 'active').map((f) => f.kind))];
  }

  private async policySubject(subject: FactorSubject): Promise<PolicySubject> {
    const enrolled = await this.enrolledKinds(subject);
    if (subject.type === 'employee') {
      const employee = await this.store.employees.get(subject.id);
      if (!employee) throw new FacegateError('NOT_FOUND', 'Employee not found');
      return { type: 'employee', role: employee.role, enrolled };
    }
    const user = await this.store.users.get(subject.id);
    if (!user) throw new FacegateError('NOT_FOUND', 'User not found');
    return { type: 'user', role: user.role, enrolled };
  }

  /** Managing one's own factors needs no permission (except reset); others' need an admin's. */
  private async authorizeManage(
    actor: Actor,
    subject: FactorSubject,
    op: 'read' | 'enrol' | 'reset',
  ): Promise<void> {
    const own = subject.type === 'user' && actor.type === 'user' && actor.id === subject.id;
    if (own && op !== 'reset') return;
    const permission: Permission =
      subject.type === 'user' ? 'users:manage' : op === 'read' ? 'employees:read' : 'employees:unlock';
    await this.policy.authorize(actor, permission);
  }

  private async describe(subject: FactorSubject): Promise<{ name: string; displayName: string }> {
    if (subject.type === 'employee') {
      const e = await this.store.employees.get(subject.id);
      if (!e) throw new FacegateError('NOT_FOUND', 'Employee not found');
      return { name: e.badge, displayName: `${e.firstName} ${e.lastName}`.trim() };
    }
    const user = await this.store.users.get(subject.id);
    if (!user) throw new FacegateError('NOT_FOUND', 'User not found');
    return { name: user.username, displayName: user.username };
  }

  private async enrolFailure(
    actor: Actor,
    subject: FactorSubject,
    reason: string,
    kind: PrimaryFactorKind = 'totp',
  ) {
    await this.audit(actor, subject, 'mfa.confirm', 'failure', reason, { kind });
    return new FacegateError('SECOND_FACTOR_FAILED', 'The code or key was not accepted; try again', {
      reason,
    });
  }

  private audit(
    actor: Actor,
    subject: FactorSubject,
    action: string,
    outcome: string,
    reason: string | null,
    details: Record<string, unknown>,
  ) {
    return this.auditIn(this.store, actor, subject, action, outcome, reason, details);
  }

  private async auditIn(
    store: Store,
    actor: Actor,
    subject: FactorSubject,
    action: string,
    outcome: string,
    reason: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    await store.audit.append({
      action,
      outcome,
      reason,
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
      employeeId: subject.type === 'employee' ? subject.id : null,
      details: subject.type === 'user' ? { userId: subject.id, ...details } : details,
    });
  }
}

/** The store's second-factor repository; `NOT_READY` for a store adapter without one (MFA fails closed). */
function factorsOf(store: Store): SecondFactorRepository {
  if (!store.secondFactors)
    throw new FacegateError('NOT_READY', `The ${store.kind} store does not support second factors yet`);
  return store.secondFactors;
}

function sameSubject(a: FactorSubject, b: FactorSubject): boolean {
  return a.type === b.type && a.id === b.id;
}

function registrationKey(subject: FactorSubject): string {
  return `register:${subject.type}:${subject.id}`;
}

function cleanLabel(label: string | undefined): string | null {
  const clean = label
    ?.replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, 64);
  return clean ? clean : null;
}

async function newRecoveryCodes(hasher: PasswordHasher): Promise<{
  codes: string[];
  hashes: Array<{ label: string; hash: string }>;
}> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes: Array<{ label: string; hash: string }> = [];
  for (const code of codes) {
    const normalized = normalizeRecoveryCode(code) ?? code;
    hashes.push({ label: recoveryCodeLabel(normalized), hash: await hasher.hash(normalized) });
  }
  return { codes, hashes };
}

async function replaceRecoveryCodes(
  factors: SecondFactorRepository,
  subject: FactorSubject,
  hashes: ReadonlyArray<{ label: string; hash: string }>,
): Promise<void> {
  await factors.deleteBySubject(subject, ['recovery']);
  for (const { label, hash } of hashes) {
    await factors.add({
      id: randomUUID(),
      subject,
      kind: 'recovery',
      status: 'active',
      label,
      secretHash: hash,
    });
  }
}
