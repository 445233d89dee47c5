import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { createMemoryStore } from '../../store/testing/memory-store.js';
import {
  DEFAULT_SECOND_FACTOR_SETTINGS,
  loadSecondFactorSettings,
  parseSecondFactorSettings,
  requiredFactors,
  SECOND_FACTOR_SETTINGS_KEY,
  type SecondFactorSettings,
} from './factor-policy.js';

const settings: SecondFactorSettings = {
  employeeDefault: { require: 'any' },
  employeeRoles: {
    visitor: { require: 'none' },
    lab: { require: 'one', kind: 'webauthn' },
    office: { require: 'any', kinds: ['pin', 'totp'], ifEnrolled: true },
  },
  userRoles: {
    admin: { require: 'any', kinds: ['totp', 'webauthn'] },
    enroller: { require: 'one', kind: 'totp', ifEnrolled: true },
  },
  userVerification: 'required',
};

const employee = (role: string | null, enrolled: Array<'totp' | 'webauthn' | 'pin' | 'recovery'>) =>
  ({ type: 'employee', role, enrolled }) as const;

describe('requiredFactors', () => {
  it('asks nothing of a role whose rule is none', () => {
    expect(requiredFactors(settings, employee('visitor', ['pin']))).toEqual({ outcome: 'none' });
  });

  it('falls back to the default rule for employees without a rule of their own', () => {
    expect(requiredFactors(settings, employee(null, ['pin']))).toEqual({
      outcome: 'required',
      allowed: ['pin'],
    });
    expect(requiredFactors(settings, employee('unknown', ['totp', 'recovery']))).toEqual({
      outcome: 'required',
      allowed: ['totp', 'recovery'],
    });
  });

  it('asks one specific factor, and refuses a person who has not enrolled it', () => {
    expect(requiredFactors(settings, employee('lab', ['webauthn', 'pin']))).toEqual({
      outcome: 'required',
      allowed: ['webauthn'],
    });
    expect(requiredFactors(settings, employee('lab', ['pin']))).toEqual({
      outcome: 'not_enrolled',
      accepted: ['webauthn'],
    });
  });

  it('applies an ifEnrolled rule only to people who have an accepted factor', () => {
    expect(requiredFactors(settings, employee('office', []))).toEqual({ outcome: 'none' });
    expect(requiredFactors(settings, employee('office', ['webauthn']))).toEqual({ outcome: 'none' });
    expect(requiredFactors(settings, employee('office', ['pin']))).toEqual({
      outcome: 'required',
      allowed: ['pin'],
    });
  });

  it('lets recovery codes stand in for TOTP or a passkey, never for a PIN alone', () => {
    expect(requiredFactors(settings, employee(null, ['pin', 'recovery']))).toEqual({
      outcome: 'required',
      allowed: ['pin'],
    });
  });

  it('applies admin-role rules to console users, and none to roles without one', () => {
    const user = (
      role: 'admin' | 'enroller' | 'auditor',
      enrolled: Array<'totp' | 'webauthn' | 'recovery'>,
    ) => ({ type: 'user', role, enrolled }) as const;
    expect(requiredFactors(settings, user('admin', []))).toEqual({
      outcome: 'not_enrolled',
      accepted: ['totp', 'webauthn'],
    });
    expect(requiredFactors(settings, user('enroller', []))).toEqual({ outcome: 'none' });
    expect(requiredFactors(settings, user('enroller', ['totp']))).toEqual({
      outcome: 'required',
      allowed: ['totp'],
    });
    expect(requiredFactors(settings, user('auditor', ['totp']))).toEqual({ outcome: 'none' });
  });

  it('by default asks admins for TOTP or a passkey once they have one, and employees nothing', () => {
    const d = DEFAULT_SECOND_FACTOR_SETTINGS;
    expect(requiredFactors(d, { type: 'user', role: 'admin', enrolled: [] })).toEqual({ outcome: 'none' });
    expect(requiredFactors(d, { type: 'user', role: 'admin', enrolled: ['webauthn', 'recovery'] })).toEqual({
      outcome: 'required',
      allowed: ['webauthn', 'recovery'],
    });
    expect(requiredFactors(d, { type: 'user', role: 'enroller', enrolled: ['totp'] })).toEqual({
      outcome: 'none',
    });
    expect(requiredFactors(d, employee(null, ['pin']))).toEqual({ outcome: 'none' });
  });
});

describe('parseSecondFactorSettings', () => {
  it('gives the defaults for nothing stored and merges what is', () => {
    expect(parseSecondFactorSettings(undefined)).toEqual(DEFAULT_SECOND_FACTOR_SETTINGS);
    const parsed = parseSecondFactorSettings({ employeeDefault: { require: 'one', kind: 'pin' } });
    expect(parsed.employeeDefault).toEqual({ require: 'one', kind: 'pin' });
    expect(parsed.userRoles).toEqual(DEFAULT_SECOND_FACTOR_SETTINGS.userRoles);
  });

  it.each([
    [{ employeeDefault: { require: 'some' } }, 'mfa.employeeDefault'],
    [{ employeeRoles: { lab: { require: 'one', kind: 'recovery' } } }, 'mfa.employeeRoles.lab'],
    [{ employeeRoles: { lab: { require: 'any', kinds: [] } } }, 'mfa.employeeRoles.lab'],
    [{ userRoles: { root: { require: 'none' } } }, 'mfa.userRoles.root'],
    [{ userVerification: 'discouraged' }, 'mfa.userVerification'],
    [{ employeeDefault: { require: 'any', ifEnrolled: 'yes' } }, 'mfa.employeeDefault.ifEnrolled'],
  ])('refuses %j naming %s', (stored, field) => {
    try {
      parseSecondFactorSettings(stored);
      expect.unreachable();
    } catch (error) {
      expect(isFacegateError(error, 'VALIDATION_FAILED')).toBe(true);
      expect(isFacegateError(error) && error.details?.field).toBe(field);
    }
  });
});

describe('loadSecondFactorSettings', () => {
  it('reads the stored settings over the defaults', async () => {
    const store = createMemoryStore();
    expect(await loadSecondFactorSettings(store.settings)).toEqual(DEFAULT_SECOND_FACTOR_SETTINGS);
    await store.settings.set(SECOND_FACTOR_SETTINGS_KEY, { userVerification: 'required' });
    expect((await loadSecondFactorSettings(store.settings)).userVerification).toBe('required');
  });

  it('fails closed on a stored value that does not parse: employees then need a factor', async () => {
    const store = createMemoryStore();
    await store.settings.set(SECOND_FACTOR_SETTINGS_KEY, { employeeDefault: { require: 'never' } });
    const loaded = await loadSecondFactorSettings(store.settings);
    expect(requiredFactors(loaded, employee(null, []))).toEqual({
      outcome: 'not_enrolled',
      accepted: ['totp', 'webauthn', 'pin'],
    });
  });
});
