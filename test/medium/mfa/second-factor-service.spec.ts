import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockoutService, lockoutSubject } from '../../../src/auth/lockout.service.js';
import {
  DEFAULT_SECOND_FACTOR_SETTINGS,
  type SecondFactorSettings,
} from '../../../src/auth/mfa/factor-policy.js';
import {
  type SecondFactorFailure,
  SecondFactorService,
} from '../../../src/auth/mfa/second-factor.service.js';
import { STEP_TOKEN_TTL_MS } from '../../../src/auth/mfa/step-tokens.js';
import { SoftAuthenticator } from '../../../src/auth/mfa/testing/soft-authenticator.js';
import { TOTP_STEP_MS, totpCodeAt } from '../../../src/auth/mfa/totp.js';
import { wasmPasswordHasher } from '../../../src/auth/wasm-password-hasher.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { type Actor, authorize } from '../../../src/domain/access.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { FactorSubject } from '../../../src/domain/second-factors.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const rp = { rpId: 'localhost', origins: ['http://localhost:3000'], rpName: 'facegate' };
const KIOSK = 'api_key:kiosk-1';

let dir: string;
let store: SqliteStore;
let now: Date;
let settings: SecondFactorSettings;
let failures: SecondFactorFailure[];
let lockout: LockoutService;
let service: SecondFactorService;
let admin: Actor;
let kiosk: Actor;
let ann: FactorSubject;
let rootUser: FactorSubject;

const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isFacegateError(error)
      ? `${error.code}${error.details?.reason ? `:${error.details.reason}` : ''}`
      : String(error);
  }
  return undefined;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-mfa-'));
  store = SqliteStore.open(join(dir, 'facegate.db'), new DataCipher([{ id: 'k1', key: randomBytes(32) }]));
  now = new Date('2026-03-01T10:00:05Z');
  settings = { ...DEFAULT_SECOND_FACTOR_SETTINGS, employeeDefault: { require: 'any' } };
  failures = [];
  const employees = { lockFaceLogin: async () => undefined, clearFaceLoginLock: async () => undefined };
  lockout = new LockoutService({
    store,
    employees,
    limits: async () => ({ threshold: 3, baseDelaySeconds: 30, hardCap: 10 }),
    clock: { now: () => now },
  });
  service = new SecondFactorService({
    store,
    clock: { now: () => now },
    policy: { authorize },
    settings: async () => settings,
    webauthn: rp,
    hasher: wasmPasswordHasher(),
    onFailure: async (failure) => {
      failures.push(failure);
      if (failure.subject.type === 'employee') {
        await lockout.recordFailure([lockoutSubject.employee(failure.subject.id)], {
          action: 'mfa',
          actor: failure.actor,
          ip: null,
        });
      }
    },
  });
  const e = await store.employees.create({ badge: 'B-7', firstName: 'Ann', lastName: 'Lee', role: 'office' });
  const u = await store.users.create({
    id: randomUUID(),
    username: 'root',
    passwordHash: 'x',
    role: 'admin',
    disabled: false,
    totpSecret: null,
  });
  ann = { type: 'employee', id: e.id };
  rootUser = { type: 'user', id: u.id };
  admin = { type: 'user', id: u.id, role: 'admin', name: 'root', ip: '10.0.0.1' };
  kiosk = { type: 'api_key', id: 'kiosk-1', role: 'kiosk', name: 'door', ip: '10.0.0.9' };
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Enrols and confirms a TOTP for the subject; returns its secret and recovery codes. */
async function enrolTotp(subject: FactorSubject, actor = admin) {
  const enrolment = await service.enrolTotp(actor, subject);
  const { recoveryCodes } = await service.confirmTotp(
    actor,
    subject,
    enrolment.factorId,
    totpCodeAt(enrolment.secret, now),
  );
  advance(TOTP_STEP_MS);
  return { secret: enrolment.secret, recoveryCodes };
}

async function faceStep(subject = ann) {
  const step = await service.issueStepToken(kiosk, {
    subject,
    caller: KIOSK,
    first: 'face',
    purpose: 'authenticate',
  });
  if (!step) throw new Error('expected a second-factor step');
  return step;
}

async function auditOf(action: string) {
  return (await store.audit.query({ action })).items;
}

describe('SecondFactorService: TOTP', () => {
  it('enrols with a QR code, activates only after a valid code, and keeps the secret encrypted', async () => {
    const enrolment = await service.enrolTotp(admin, ann, 'phone');
    expect(enrolment.uri).toContain('otpauth://totp/facegate:B-7');
    expect(enrolment.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect((await service.listFactors(admin, ann)).factors).toEqual([
      expect.objectContaining({ kind: 'totp', status: 'pending' }),
    ]);
    expect(await service.requirementFor(ann)).toEqual({
      outcome: 'not_enrolled',
      accepted: ['totp', 'webauthn', 'pin'],
    });

    expect(await codeOf(service.confirmTotp(admin, ann, enrolment.factorId, '000000'))).toBe(
      'SECOND_FACTOR_FAILED:WRONG_CODE',
    );
    const { recoveryCodes } = await service.confirmTotp(
      admin,
      ann,
      enrolment.factorId,
      totpCodeAt(enrolment.secret, now),
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const list = await service.listFactors(admin, ann);
    expect(list).toEqual({
      factors: [expect.objectContaining({ kind: 'totp', status: 'active', label: 'phone' })],
      recoveryCodesLeft: 10,
    });
    expect(JSON.stringify(list)).not.toContain(enrolment.secret);
    const raw = store.database.prepare('SELECT secret_enc, secret_hash FROM second_factors').all() as Array<{
      secret_enc: Buffer | null;
      secret_hash: string | null;
    }>;
    for (const row of raw) {
      expect(row.secret_enc?.toString('latin1') ?? '').not.toContain(enrolment.secret.slice(0, 12));
      for (const code of recoveryCodes) expect(row.secret_hash ?? '').not.toContain(code.replaceAll('-', ''));
    }
    expect((await auditOf('mfa.confirm')).map((e) => e.outcome).sort()).toEqual(['failure', 'success']);
  });

  it('face + correct TOTP completes the step with both factors in amr', async () => {
    const { secret } = await enrolTotp(ann);
    const step = await faceStep();
    expect(step.allowed).toEqual(['totp', 'recovery']);
    expect(step.passkeyOptions).toBeNull();
    const done = await service.completeStep(kiosk, step.stepToken, KIOSK, {
      kind: 'totp',
      code: totpCodeAt(secret, now),
    });
    expect(done).toEqual({ subject: ann, employeeId: ann.id, amr: ['face', 'otp'], purpose: 'authenticate' });
    const [event] = await auditOf('mfa.step');
    expect(event).toMatchObject({ outcome: 'success', employeeId: ann.id, actorId: 'kiosk-1' });
  });

  it('refuses a wrong code, audits it and reports it to the lockout', async () => {
    await enrolTotp(ann);
    const step = await faceStep();
    expect(
      await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'totp', code: '123456' })),
    ).toBe('SECOND_FACTOR_FAILED:WRONG_CODE');
    expect(failures).toEqual([
      expect.objectContaining({ subject: ann, kind: 'totp', reason: 'WRONG_CODE', caller: KIOSK }),
    ]);
    expect((await auditOf('mfa.step'))[0]).toMatchObject({
      outcome: 'failure',
      reason: 'WRONG_CODE',
      employeeId: ann.id,
    });
    expect((await store.lockouts.get(lockoutSubject.employee(ann.id)))?.consecutiveFailures).toBe(1);
  });

  it('refuses a code used already (replay) within its window', async () => {
    const { secret } = await enrolTotp(ann);
    const code = totpCodeAt(secret, now);
    await service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'totp', code });
    advance(10_000);
    const again = service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'totp', code });
    expect(await codeOf(again)).toBe('SECOND_FACTOR_FAILED:REPLAYED');
    // The code of the step before the one used is refused too: steps only move forward.
    const earlier = totpCodeAt(secret, new Date(now.getTime() - TOTP_STEP_MS));
    expect(
      await codeOf(
        service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'totp', code: earlier }),
      ),
    ).toMatch(/SECOND_FACTOR_FAILED:(REPLAYED|WRONG_CODE)/);
    expect((await auditOf('mfa.step')).filter((e) => e.outcome === 'failure')).toHaveLength(2);
  });

  it('refuses an expired code (two steps old) and accepts one a step old', async () => {
    const { secret } = await enrolTotp(ann);
    const old = totpCodeAt(secret, now);
    advance(2 * TOTP_STEP_MS);
    expect(
      await codeOf(
        service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'totp', code: old }),
      ),
    ).toBe('SECOND_FACTOR_FAILED:WRONG_CODE');
    const recent = totpCodeAt(secret, new Date(now.getTime() - TOTP_STEP_MS));
    const done = await service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, {
      kind: 'totp',
      code: recent,
    });
    expect(done.amr).toEqual(['face', 'otp']);
  });

  it('accepts a recovery code once, whatever its case and dashes', async () => {
    const { recoveryCodes } = await enrolTotp(ann);
    const code = recoveryCodes[3] ?? '';
    const typed = code.toLowerCase().replaceAll('-', ' ');
    const done = await service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, {
      kind: 'recovery',
      code: typed,
    });
    expect(done.amr).toEqual(['face', 'otp']);
    expect((await service.listFactors(admin, ann)).recoveryCodesLeft).toBe(9);
    expect(
      await codeOf(
        service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'recovery', code }),
      ),
    ).toBe('SECOND_FACTOR_FAILED:WRONG_CODE');
  });

  it('a new TOTP enrolment replaces the old app and its recovery codes', async () => {
    const first = await enrolTotp(ann);
    const second = await enrolTotp(ann);
    expect((await service.listFactors(admin, ann)).factors).toHaveLength(1);
    const oldCode = first.recoveryCodes[0] ?? '';
    expect(
      await codeOf(
        service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'recovery', code: oldCode }),
      ),
    ).toBe('SECOND_FACTOR_FAILED:WRONG_CODE');
    const code = totpCodeAt(second.secret, now);
    expect(
      (await service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, { kind: 'totp', code })).amr,
    ).toEqual(['face', 'otp']);
  });
});

describe('SecondFactorService: PIN', () => {
  it('refuses trivial PINs, accepts a good one and stores only its Argon2id hash', async () => {
    expect(await codeOf(service.setPin(admin, ann, '123456'))).toBe('VALIDATION_FAILED');
    expect(await codeOf(service.setPin(admin, ann, '12345'))).toBe('VALIDATION_FAILED');
    await service.setPin(admin, ann, '483920');
    const [row] = store.database.prepare('SELECT secret_hash FROM second_factors').all() as Array<{
      secret_hash: string;
    }>;
    expect(row?.secret_hash).toMatch(/^\$argon2id\$/);
    const done = await service.completeStep(kiosk, (await faceStep()).stepToken, KIOSK, {
      kind: 'pin',
      code: '483920',
    });
    expect(done.amr).toEqual(['face', 'pin']);
  });

  it('counts wrong PINs toward the lockout', async () => {
    await service.setPin(admin, ann, '483920');
    for (let i = 0; i < 3; i++) {
      const step = await faceStep();
      expect(
        await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'pin', code: '111222' })),
      ).toBe('SECOND_FACTOR_FAILED:WRONG_PIN');
    }
    const state = await store.lockouts.get(lockoutSubject.employee(ann.id));
    expect(state?.consecutiveFailures).toBe(3);
    expect(state?.lockedUntil).not.toBeNull();
  });

  it('refuses a factor the step does not allow', async () => {
    settings = { ...settings, employeeRoles: { office: { require: 'one', kind: 'totp' } } };
    await service.setPin(admin, ann, '483920');
    await enrolTotp(ann);
    const step = await faceStep();
    expect(step.allowed).toEqual(['totp', 'recovery']);
    expect(
      await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'pin', code: '483920' })),
    ).toBe('SECOND_FACTOR_FAILED:NOT_ALLOWED');
  });
});

describe('SecondFactorService: step tokens', () => {
  it('refuses a step token used already, expired, or presented by another caller', async () => {
    await service.setPin(admin, ann, '483920');
    const pin = { kind: 'pin', code: '483920' } as const;
    const used = await faceStep();
    await service.completeStep(kiosk, used.stepToken, KIOSK, pin);
    expect(await codeOf(service.completeStep(kiosk, used.stepToken, KIOSK, pin))).toBe('STEP_TOKEN_INVALID');

    const late = await faceStep();
    advance(STEP_TOKEN_TTL_MS + 1);
    expect(await codeOf(service.completeStep(kiosk, late.stepToken, KIOSK, pin))).toBe('STEP_TOKEN_INVALID');

    const stolen = await faceStep();
    expect(await codeOf(service.completeStep(kiosk, stolen.stepToken, 'api_key:other-door', pin))).toBe(
      'STEP_TOKEN_INVALID',
    );
    expect(await codeOf(service.completeStep(kiosk, stolen.stepToken, KIOSK, pin))).toBe(
      'STEP_TOKEN_INVALID',
    );
    expect((await auditOf('mfa.step')).filter((e) => e.reason === 'STEP_TOKEN_INVALID')).toHaveLength(4);
    expect(failures).toEqual([]);
  });

  it('a failed factor uses up the step token', async () => {
    await service.setPin(admin, ann, '483920');
    const step = await faceStep();
    await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'pin', code: '000111' }));
    expect(
      await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'pin', code: '483920' })),
    ).toBe('STEP_TOKEN_INVALID');
  });
});

describe('SecondFactorService: policy per role', () => {
  it('applies the employee role rules and refuses a person without the required factor', async () => {
    settings = {
      ...settings,
      employeeRoles: { visitor: { require: 'none' }, lab: { require: 'one', kind: 'webauthn' } },
    };
    await service.setPin(admin, ann, '483920');
    expect((await faceStep()).allowed).toEqual(['pin']);
    await store.employees.update(ann.id, { role: 'visitor' });
    expect(
      await service.issueStepToken(kiosk, {
        subject: ann,
        caller: KIOSK,
        first: 'face',
        purpose: 'authenticate',
      }),
    ).toBeNull();
    await store.employees.update(ann.id, { role: 'lab' });
    expect(await codeOf(faceStep())).toBe('SECOND_FACTOR_NOT_ENROLLED');
    expect((await auditOf('mfa.step.issue'))[0]).toMatchObject({
      outcome: 'refused',
      reason: 'SECOND_FACTOR_NOT_ENROLLED',
    });
  });

  it('asks an admin for TOTP at console sign-in once one is enrolled, by default', async () => {
    const console = {
      subject: rootUser,
      caller: 'login:root|10.0.0.1',
      first: 'pwd',
      purpose: 'console',
    } as const;
    expect(await service.issueStepToken(admin, console)).toBeNull();
    const { secret } = await enrolTotp(rootUser, admin);
    const step = await service.issueStepToken(admin, console);
    expect(step?.allowed).toEqual(['totp', 'recovery']);
    const done = await service.completeStep(admin, step?.stepToken ?? '', console.caller, {
      kind: 'totp',
      code: totpCodeAt(secret, now),
    });
    expect(done).toMatchObject({
      subject: rootUser,
      employeeId: null,
      amr: ['pwd', 'otp'],
      purpose: 'console',
    });
  });
});

describe('SecondFactorService: passkeys', () => {
  it('registers a security key and completes face + key with amr hwk; a cloned key is refused', async () => {
    const key = new SoftAuthenticator({ origin: rp.origins[0] ?? '' });
    const options = await service.beginPasskeyRegistration(admin, ann);
    expect(options.rp.id).toBe('localhost');
    const registered = await service.finishPasskeyRegistration(admin, ann, key.register(options), 'YubiKey');
    expect(registered.recoveryCodes).toHaveLength(10);

    const step = await faceStep();
    expect(step.allowed).toEqual(['webauthn', 'recovery']);
    const challenge = step.passkeyOptions?.challenge ?? '';
    const assertion = key.assert({ challenge }, rp.rpId);
    const done = await service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'webauthn', assertion });
    expect(done.amr).toEqual(['face', 'hwk']);

    // The same signed assertion on a new step: another challenge.
    const replay = await faceStep();
    expect(
      await codeOf(service.completeStep(kiosk, replay.stepToken, KIOSK, { kind: 'webauthn', assertion })),
    ).toBe('SECOND_FACTOR_FAILED:ASSERTION_INVALID');
    // A clone whose counter lags behind the one stored.
    const cloned = await faceStep();
    key.counter = 1;
    const stale = key.assert({ challenge: cloned.passkeyOptions?.challenge ?? '' }, rp.rpId);
    expect(
      await codeOf(
        service.completeStep(kiosk, cloned.stepToken, KIOSK, { kind: 'webauthn', assertion: stale }),
      ),
    ).toBe('SECOND_FACTOR_FAILED:ASSERTION_INVALID');
    expect(failures.map((f) => f.kind)).toEqual(['webauthn', 'webauthn']);
  });

  it("refuses another person's passkey and a registration replayed", async () => {
    const other = await store.employees.create({ badge: 'B-8', firstName: 'Bo', lastName: 'Ng' });
    const otherSubject: FactorSubject = { type: 'employee', id: other.id };
    const key = new SoftAuthenticator({ origin: rp.origins[0] ?? '', synced: true, counts: false });
    const options = await service.beginPasskeyRegistration(admin, otherSubject);
    const response = key.register(options);
    await service.finishPasskeyRegistration(admin, otherSubject, response);
    expect(await codeOf(service.finishPasskeyRegistration(admin, otherSubject, response))).toBe(
      'SECOND_FACTOR_FAILED:CHALLENGE_EXPIRED',
    );
    await service.setPin(admin, ann, '483920');
    settings = { ...settings, employeeDefault: { require: 'any' } };
    const step = await faceStep();
    const assertion = key.assert({ challenge: 'x' }, rp.rpId);
    expect(
      await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'webauthn', assertion })),
    ).toBe('SECOND_FACTOR_FAILED:NOT_ALLOWED');
    const own = await service.issueStepToken(kiosk, {
      subject: otherSubject,
      caller: KIOSK,
      first: 'face',
      purpose: 'verify',
    });
    const synced = key.assert({ challenge: own?.passkeyOptions?.challenge ?? '' }, rp.rpId);
    const done = await service.completeStep(kiosk, own?.stepToken ?? '', KIOSK, {
      kind: 'webauthn',
      assertion: synced,
    });
    expect(done.amr).toEqual(['face', 'swk']);
  });
});

describe('SecondFactorService: management', () => {
  it('lets only admins manage employee factors; users manage their own but an admin resets them', async () => {
    const enroller: Actor = { type: 'user', id: 'u-enroller', role: 'enroller', name: 'e', ip: null };
    expect(await codeOf(service.enrolTotp(enroller, ann))).toBe('FORBIDDEN');
    expect(await codeOf(service.setPin(kiosk, ann, '483920'))).toBe('FORBIDDEN');
    expect(await codeOf(service.resetFactors(enroller, ann))).toBe('FORBIDDEN');
    const self: FactorSubject = { type: 'user', id: 'u-enroller' };
    await store.users.create({
      id: 'u-enroller',
      username: 'enr',
      passwordHash: 'x',
      role: 'enroller',
      disabled: false,
      totpSecret: null,
    });
    await enrolTotp(self, enroller);
    expect((await service.listFactors(enroller, self)).factors).toHaveLength(1);
    expect(await codeOf(service.listFactors(enroller, rootUser))).toBe('FORBIDDEN');
    expect(await codeOf(service.resetFactors(enroller, self))).toBe('FORBIDDEN');
    expect(await service.resetFactors(admin, self)).toBe(11);
  });

  it('resets a lost phone: TOTP and recovery codes go, the PIN stays, and the step asks only the PIN', async () => {
    await enrolTotp(ann);
    await service.setPin(admin, ann, '483920');
    expect(await service.resetFactors(admin, ann, ['totp'])).toBe(11);
    expect(await service.listFactors(admin, ann)).toEqual({
      factors: [expect.objectContaining({ kind: 'pin' })],
      recoveryCodesLeft: 0,
    });
    expect((await faceStep()).allowed).toEqual(['pin']);
    expect((await auditOf('mfa.reset'))[0]).toMatchObject({
      outcome: 'success',
      employeeId: ann.id,
      actorId: admin.id,
    });
  });

  it('removes one lost key of two, keeping the other and the recovery codes', async () => {
    const keys = [
      new SoftAuthenticator({ origin: rp.origins[0] ?? '' }),
      new SoftAuthenticator({ origin: rp.origins[0] ?? '' }),
    ];
    const ids: string[] = [];
    for (const key of keys) {
      const options = await service.beginPasskeyRegistration(admin, ann);
      ids.push((await service.finishPasskeyRegistration(admin, ann, key.register(options))).factorId);
    }
    const enroller: Actor = { type: 'user', id: 'u-enroller', role: 'enroller', name: 'e', ip: null };
    expect(await codeOf(service.removeFactor(enroller, ann, ids[0] ?? ''))).toBe('FORBIDDEN');
    await service.removeFactor(admin, ann, ids[0] ?? '');
    expect(await codeOf(service.removeFactor(admin, ann, ids[0] ?? ''))).toBe('NOT_FOUND');
    const list = await service.listFactors(admin, ann);
    expect(list.factors.map((f) => f.id)).toEqual([ids[1]]);
    expect(list.recoveryCodesLeft).toBe(10);
    const step = await faceStep();
    const lost = keys[0]?.assert({ challenge: step.passkeyOptions?.challenge ?? '' }, rp.rpId);
    if (!lost) throw new Error('no key');
    expect(
      await codeOf(service.completeStep(kiosk, step.stepToken, KIOSK, { kind: 'webauthn', assertion: lost })),
    ).toBe('SECOND_FACTOR_FAILED:UNKNOWN_CREDENTIAL');
    await service.removeFactor(admin, ann, ids[1] ?? '');
    expect(await service.listFactors(admin, ann)).toEqual({ factors: [], recoveryCodesLeft: 0 });
  });

  it('erasing an employee erases their factors', async () => {
    await service.setPin(admin, ann, '483920');
    await store.employees.delete(ann.id);
    expect(store.database.prepare('SELECT count(*) AS n FROM second_factors').get()).toEqual({ n: 0 });
  });
});
