import type { Role } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { FactorKind } from '../../domain/second-factors.js';
import type { SettingsRepository } from '../../store/store.port.js';

/** Factors a rule can ask for; recovery codes only ever stand in for TOTP or a passkey. */
export type PrimaryFactorKind = Exclude<FactorKind, 'recovery'>;

/**
 * What one rule asks after the first factor (face or password): nothing, any one of `kinds`, or one specific kind.
 * With `ifEnrolled` the rule applies only to people who have enrolled a factor it accepts; without it, a person
 * with none is refused until one is enrolled (fail closed).
 */
export type FactorRule =
  | { require: 'none' }
  | { require: 'any'; kinds?: PrimaryFactorKind[]; ifEnrolled?: boolean }
  | { require: 'one'; kind: PrimaryFactorKind; ifEnrolled?: boolean };

/** WebAuthn user verification (PIN or biometric on the authenticator itself). */
export type UserVerification = 'required' | 'preferred';

/** Second-factor settings: per employee role (the free-form `Employee.role`) and per admin role. */
export interface SecondFactorSettings {
  /** Employees whose role has no rule of its own. */
  employeeDefault: FactorRule;
  employeeRoles: Record<string, FactorRule>;
  /** Console sign-in of admin users, per admin role; a role without a rule needs no second factor. */
  userRoles: Partial<Record<Role, FactorRule>>;
  userVerification: UserVerification;
}

/** Settings key of the second-factor settings in the store. */
export const SECOND_FACTOR_SETTINGS_KEY = 'mfa.policy';

const PRIMARY_KINDS: readonly PrimaryFactorKind[] = ['totp', 'webauthn', 'pin'];

/** Defaults: face alone for employees; admins need TOTP or a passkey once they have enrolled one. */
export const DEFAULT_SECOND_FACTOR_SETTINGS: Readonly<SecondFactorSettings> = Object.freeze({
  employeeDefault: { require: 'none' },
  employeeRoles: {},
  userRoles: { admin: { require: 'any', kinds: ['totp', 'webauthn'], ifEnrolled: true } },
  userVerification: 'preferred',
} satisfies SecondFactorSettings);

/** Who signs in, as the policy sees them: the role and which kinds of active factor they have. */
export type PolicySubject =
  | { type: 'employee'; role: string | null; enrolled: readonly FactorKind[] }
  | { type: 'user'; role: Role; enrolled: readonly FactorKind[] };

/** The verdict of {@link requiredFactors}. */
export type FactorRequirement =
  | { outcome: 'none' }
  /** A second factor is needed; any one of `allowed` (all enrolled) completes the step. */
  | { outcome: 'required'; allowed: FactorKind[] }
  /** A second factor is needed but none the rule accepts is enrolled: refuse, and tell an admin to enrol one. */
  | { outcome: 'not_enrolled'; accepted: PrimaryFactorKind[] };

/** The rule for a subject: its role's rule, else the default (employees) or none (users). */
export function ruleFor(settings: SecondFactorSettings, subject: PolicySubject): FactorRule {
  if (subject.type === 'user') return settings.userRoles[subject.role] ?? { require: 'none' };
  const byRole = subject.role === null ? undefined : settings.employeeRoles[subject.role];
  return byRole ?? settings.employeeDefault;
}

/** Which second factors `subject` must present after the first factor. Pure. */
export function requiredFactors(settings: SecondFactorSettings, subject: PolicySubject): FactorRequirement {
  const rule = ruleFor(settings, subject);
  if (rule.require === 'none') return { outcome: 'none' };
  const accepted = rule.require === 'one' ? [rule.kind] : [...(rule.kinds ?? PRIMARY_KINDS)];
  const allowed: FactorKind[] = accepted.filter((kind) => subject.enrolled.includes(kind));
  if (allowed.length === 0)
    return rule.ifEnrolled ? { outcome: 'none' } : { outcome: 'not_enrolled', accepted };
  // Recovery codes replace a lost phone or key, never a PIN (they are no weaker than what they replace).
  const strong = allowed.includes('totp') || allowed.includes('webauthn');
  if (strong && subject.enrolled.includes('recovery')) allowed.push('recovery');
  return { outcome: 'required', allowed };
}

/** The stored settings merged over the defaults; throws `VALIDATION_FAILED` naming the first bad field. */
export function parseSecondFactorSettings(stored: unknown): SecondFactorSettings {
  if (stored === undefined || stored === null) return DEFAULT_SECOND_FACTOR_SETTINGS;
  if (typeof stored !== 'object') invalid('mfa', 'an object');
  const value = stored as Partial<SecondFactorSettings>;
  const settings: SecondFactorSettings = {
    employeeDefault: value.employeeDefault ?? DEFAULT_SECOND_FACTOR_SETTINGS.employeeDefault,
    employeeRoles: value.employeeRoles ?? {},
    userRoles: value.userRoles ?? DEFAULT_SECOND_FACTOR_SETTINGS.userRoles,
    userVerification: value.userVerification ?? DEFAULT_SECOND_FACTOR_SETTINGS.userVerification,
  };
  checkRule('mfa.employeeDefault', settings.employeeDefault);
  for (const [role, rule] of Object.entries(settings.employeeRoles))
    checkRule(`mfa.employeeRoles.${role}`, rule);
  for (const [role, rule] of Object.entries(settings.userRoles)) {
    if (!['admin', 'enroller', 'auditor', 'kiosk'].includes(role))
      invalid(`mfa.userRoles.${role}`, 'an admin role');
    checkRule(`mfa.userRoles.${role}`, rule);
  }
  if (!['required', 'preferred'].includes(settings.userVerification)) {
    invalid('mfa.userVerification', '"required" or "preferred"');
  }
  return settings;
}

/**
 * The second-factor settings in force: the stored ones (written only through {@link parseSecondFactorSettings}) over
 * the defaults. A stored value that no longer parses fails closed: every rule asks for any factor.
 */
export async function loadSecondFactorSettings(settings: SettingsRepository): Promise<SecondFactorSettings> {
  try {
    return parseSecondFactorSettings(await settings.get<unknown>(SECOND_FACTOR_SETTINGS_KEY));
  } catch {
    return { ...DEFAULT_SECOND_FACTOR_SETTINGS, employeeDefault: { require: 'any' }, employeeRoles: {} };
  }
}

function checkRule(field: string, rule: unknown): void {
  if (typeof rule !== 'object' || rule === null) invalid(field, 'a rule object');
  const r = rule as Record<string, unknown>;
  const kindOk = (k: unknown) => PRIMARY_KINDS.includes(k as PrimaryFactorKind);
  if (r.ifEnrolled !== undefined && typeof r.ifEnrolled !== 'boolean')
    invalid(`${field}.ifEnrolled`, 'a boolean');
  if (r.require === 'none') return;
  if (r.require === 'one' && kindOk(r.kind)) return;
  if (
    r.require === 'any' &&
    (r.kinds === undefined || (Array.isArray(r.kinds) && r.kinds.length > 0 && r.kinds.every(kindOk)))
  ) {
    return;
  }
  invalid(
    field,
    `{ require: "none" | "any" (kinds?) | "one" (kind) } with kinds among ${PRIMARY_KINDS.join(', ')}`,
  );
}

function invalid(field: string, problem: string): never {
  throw new FacegateError('VALIDATION_FAILED', `${field}: must be ${problem}`, { field });
}
