import { describe, expect, it } from 'vitest';
import { type Actor, authorize } from '../../domain/access.js';
import { isFacegateError } from '../../domain/errors.js';
import { createMemoryStore } from '../../store/testing/memory-store.js';
import { wasmPasswordHasher } from '../wasm-password-hasher.js';
import { DEFAULT_SECOND_FACTOR_SETTINGS } from './factor-policy.js';
import { SecondFactorService } from './second-factor.service.js';
import { TOTP_STEP_MS, totpCodeAt } from './totp.js';

const rp = { rpId: 'localhost', origins: ['http://localhost:3000'], rpName: 'facegate' };
const admin: Actor = { type: 'user', id: 'u1', role: 'admin', name: 'root', ip: null };
const kiosk: Actor = { type: 'api_key', id: 'k1', role: 'kiosk', name: 'door', ip: null };

async function setup() {
  let now = new Date('2026-03-01T10:00:05Z');
  const store = createMemoryStore(() => now);
  const employee = await store.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' });
  const service = new SecondFactorService({
    store,
    clock: { now: () => now },
    policy: { authorize },
    settings: async () => ({ ...DEFAULT_SECOND_FACTOR_SETTINGS, employeeDefault: { require: 'any' } }),
    webauthn: rp,
    hasher: wasmPasswordHasher(),
  });
  const subject = { type: 'employee', id: employee.id } as const;
  return {
    store,
    service,
    subject,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    at: () => now,
  };
}

describe('SecondFactorService over the memory store', () => {
  it('enrols a TOTP and completes face + TOTP', async () => {
    const { service, subject, advance, at } = await setup();
    const enrolment = await service.enrolTotp(admin, subject);
    await service.confirmTotp(admin, subject, enrolment.factorId, totpCodeAt(enrolment.secret, at()));
    advance(TOTP_STEP_MS);
    const step = await service.issueStepToken(kiosk, {
      subject,
      caller: 'api_key:k1',
      first: 'face',
      purpose: 'authenticate',
    });
    const code = totpCodeAt(enrolment.secret, at());
    const done = await service.completeStep(kiosk, step?.stepToken ?? '', 'api_key:k1', {
      kind: 'totp',
      code,
    });
    expect(done.amr).toEqual(['face', 'otp']);
  });

  it('refuses the enrolment code once more at the step (it was used to confirm)', async () => {
    const { service, subject, at } = await setup();
    const enrolment = await service.enrolTotp(admin, subject);
    const code = totpCodeAt(enrolment.secret, at());
    await service.confirmTotp(admin, subject, enrolment.factorId, code);
    const step = await service.issueStepToken(kiosk, {
      subject,
      caller: 'c',
      first: 'face',
      purpose: 'authenticate',
    });
    const error = await service
      .completeStep(kiosk, step?.stepToken ?? '', 'c', { kind: 'totp', code })
      .catch((e: unknown) => e);
    expect(isFacegateError(error, 'SECOND_FACTOR_FAILED') && error.details?.reason).toBe('REPLAYED');
  });

  it('refuses a confirmation after ten minutes', async () => {
    const { service, subject, advance, at } = await setup();
    const enrolment = await service.enrolTotp(admin, subject);
    advance(10 * 60_000);
    const error = await service
      .confirmTotp(admin, subject, enrolment.factorId, totpCodeAt(enrolment.secret, at()))
      .catch((e: unknown) => e);
    expect(isFacegateError(error, 'SECOND_FACTOR_FAILED') && error.details?.reason).toBe('EXPIRED');
  });

  it('on a store without second factors: no factor asked by default, enrolment NOT_READY, a required factor refused', async () => {
    const { store, subject } = await setup();
    const { secondFactors: _, ...bare } = store;
    const make = (settings: typeof DEFAULT_SECOND_FACTOR_SETTINGS) =>
      new SecondFactorService({
        store: bare,
        clock: { now: () => new Date() },
        policy: { authorize },
        settings: async () => settings,
        webauthn: rp,
        hasher: wasmPasswordHasher(),
      });
    const lenient = make(DEFAULT_SECOND_FACTOR_SETTINGS);
    expect(await lenient.requirementFor(subject)).toEqual({ outcome: 'none' });
    const enrol = await lenient.enrolTotp(admin, subject).catch((e: unknown) => e);
    expect(isFacegateError(enrol, 'NOT_READY')).toBe(true);
    const strict = make({ ...DEFAULT_SECOND_FACTOR_SETTINGS, employeeDefault: { require: 'any' } });
    const step = await strict
      .issueStepToken(admin, { subject, caller: 'c', first: 'face', purpose: 'authenticate' })
      .catch((e: unknown) => e);
    expect(isFacegateError(step, 'SECOND_FACTOR_NOT_ENROLLED')).toBe(true);
  });
});
