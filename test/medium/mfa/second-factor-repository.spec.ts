import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { FactorSubject } from '../../../src/domain/second-factors.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const key1 = { id: 'k1', key: randomBytes(32) };
const key2 = { id: 'k2', key: randomBytes(32) };
const at = '2026-03-01T10:00:00.000Z';

let dir: string;
let store: SqliteStore;
let employee: FactorSubject;
let user: FactorSubject;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-mfa-repo-'));
  store = SqliteStore.open(join(dir, 'facegate.db'), new DataCipher([key1]));
  const e = await store.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' });
  const u = await store.users.create({
    id: randomUUID(),
    username: 'root',
    passwordHash: 'x',
    role: 'admin',
    disabled: false,
    totpSecret: null,
  });
  employee = { type: 'employee', id: e.id };
  user = { type: 'user', id: u.id };
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const totp = (subject: FactorSubject, secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP') =>
  store.secondFactors.add({
    id: randomUUID(),
    subject,
    kind: 'totp',
    status: 'pending',
    label: 'app',
    secret,
  });

describe('SQLite second factors', () => {
  it('keeps TOTP secrets encrypted, bound to their factor id', async () => {
    const factor = await totp(employee);
    expect(factor).toMatchObject({
      subject: employee,
      kind: 'totp',
      status: 'pending',
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    });
    const raw = store.database
      .prepare('SELECT secret_enc FROM second_factors WHERE id = ?')
      .get(factor.id) as { secret_enc: Buffer };
    expect(raw.secret_enc.toString('latin1')).not.toContain('JBSWY3DP');
    const other = await totp(employee, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    store.database
      .prepare('UPDATE second_factors SET secret_enc = ? WHERE id = ?')
      .run(raw.secret_enc, other.id);
    expect(
      isFacegateError(await store.secondFactors.get(other.id).catch((e: unknown) => e), 'INTERNAL'),
    ).toBe(true);
  });

  it('lists per subject and kind, and activates a pending factor once', async () => {
    const factor = await totp(user);
    await store.secondFactors.add({
      id: randomUUID(),
      subject: user,
      kind: 'pin',
      status: 'active',
      secretHash: '$argon2id$x',
    });
    await totp(employee);
    expect((await store.secondFactors.listBySubject(user)).map((f) => f.kind).sort()).toEqual([
      'pin',
      'totp',
    ]);
    expect(await store.secondFactors.listBySubject(user, 'totp')).toHaveLength(1);
    expect(await store.secondFactors.activate(factor.id, at)).toBe(true);
    expect(await store.secondFactors.activate(factor.id, at)).toBe(false);
    expect((await store.secondFactors.get(factor.id))?.status).toBe('active');
  });

  it('accepts each TOTP step once and never an earlier one', async () => {
    const factor = await totp(employee);
    expect(await store.secondFactors.useTotpStep(factor.id, 100, at)).toBe(true);
    expect(await store.secondFactors.useTotpStep(factor.id, 100, at)).toBe(false);
    expect(await store.secondFactors.useTotpStep(factor.id, 99, at)).toBe(false);
    expect(await store.secondFactors.useTotpStep(factor.id, 101, at)).toBe(true);
    expect((await store.secondFactors.get(factor.id))?.lastUsedStep).toBe(101);
  });

  it('stores passkeys by unique credential id and only lets their counter grow', async () => {
    const passkey = {
      credentialId: 'cred-1',
      publicKey: new Uint8Array([1, 2, 3]),
      counter: 5,
      transports: ['usb'],
      multiDevice: false,
    };
    const factor = await store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'webauthn',
      status: 'active',
      passkey,
    });
    expect((await store.secondFactors.findByCredentialId('cred-1'))?.passkey).toEqual(passkey);
    expect(factor.passkey?.publicKey).toBeInstanceOf(Uint8Array);
    const duplicate = store.secondFactors.add({
      id: randomUUID(),
      subject: user,
      kind: 'webauthn',
      status: 'active',
      passkey,
    });
    expect(isFacegateError(await duplicate.catch((e: unknown) => e), 'CONFLICT')).toBe(true);
    expect(await store.secondFactors.useCounter(factor.id, 5, at)).toBe(false);
    expect(await store.secondFactors.useCounter(factor.id, 4, at)).toBe(false);
    expect(await store.secondFactors.useCounter(factor.id, 6, at)).toBe(true);
    const zero = await store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'webauthn',
      status: 'active',
      passkey: { ...passkey, credentialId: 'cred-0', counter: 0 },
    });
    expect(await store.secondFactors.useCounter(zero.id, 0, at)).toBe(true);
  });

  it('refuses rows whose fields do not fit their kind', async () => {
    const noSecret = store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'totp',
      status: 'active',
    });
    expect(isFacegateError(await noSecret.catch((e: unknown) => e), 'VALIDATION_FAILED')).toBe(true);
    const noHash = store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'pin',
      status: 'active',
    });
    expect(isFacegateError(await noHash.catch((e: unknown) => e), 'VALIDATION_FAILED')).toBe(true);
    const nobody = store.secondFactors.add({
      id: randomUUID(),
      subject: { type: 'employee', id: 'ghost' },
      kind: 'pin',
      status: 'active',
      secretHash: 'h',
    });
    expect(isFacegateError(await nobody.catch((e: unknown) => e), 'NOT_FOUND')).toBe(true);
  });

  it('deletes by subject and kind, and with the employee or user (erasure)', async () => {
    await totp(employee);
    await store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'recovery',
      status: 'active',
      label: 'ABCD',
      secretHash: 'h',
    });
    await store.secondFactors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'recovery',
      status: 'active',
      label: 'EFGH',
      secretHash: 'h',
    });
    await totp(user);
    expect(await store.secondFactors.deleteBySubject(employee, ['recovery'])).toBe(2);
    expect(await store.secondFactors.listBySubject(employee)).toHaveLength(1);
    await store.employees.delete(employee.id);
    await store.users.delete(user.id);
    expect(store.database.prepare('SELECT count(*) AS n FROM second_factors').get()).toEqual({ n: 0 });
  });

  it('works inside transactions and rolls back with them', async () => {
    await store
      .transaction(async (tx) => {
        await tx.secondFactors?.add({
          id: randomUUID(),
          subject: employee,
          kind: 'pin',
          status: 'active',
          secretHash: 'h',
        });
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await store.secondFactors.listBySubject(employee)).toEqual([]);
  });

  it('re-encrypts TOTP secrets after a key rotation', async () => {
    const factor = await totp(employee);
    await store.close();
    store = SqliteStore.open(join(dir, 'facegate.db'), new DataCipher([key2, key1]));
    expect((await store.secondFactors.get(factor.id))?.secret).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    expect(await store.reencrypt()).toBe(1);
    await store.close();
    store = SqliteStore.open(join(dir, 'facegate.db'), new DataCipher([key2]));
    expect((await store.secondFactors.get(factor.id))?.secret).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  });
});
