import { describe, expect, it } from 'vitest';
import { buildAuthServices } from '../app/build-auth-services.js';
import { loadConfig } from '../config/config.js';
import {
  type Actor,
  authorize,
  can,
  cliActor,
  localOnlyPolicy,
  ROLE_PERMISSIONS,
  roleHas,
  rolePolicy,
  seesDecisionDetails,
  systemActor,
} from '../domain/access.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { SetupService } from './setup.service.js';
import { wasmPasswordHasher } from './wasm-password-hasher.js';

const PASSWORD = 'correct horse battery staple';
const cli: Actor = { type: 'cli', id: 'op', role: 'admin', name: 'op', ip: null };

/** The auth services as the composition root wires them, over a memory store and a test clock. */
function setup() {
  let now = new Date('2026-01-01T00:00:00Z');
  const sharedState = new MemorySharedState();
  const mem = createMemoryStore(() => now);
  const config = loadConfig(
    { NODE_ENV: 'test' },
    {
      security: {
        sessionTtlSeconds: 3600,
        lockoutThreshold: 5,
        lockoutBaseDelaySeconds: 30,
        lockoutHardCap: 20,
      },
    },
  );
  const noLocks = { lockFaceLogin: async () => undefined, clearFaceLoginLock: async () => undefined };
  const noMatching = {
    identify: async () => Promise.reject(new Error('not used')),
    verify: async () => Promise.reject(new Error('not used')),
  };
  const auth = buildAuthServices(
    {
      config,
      store: mem,
      employees: noLocks,
      identification: noMatching,
      sharedState,
      hasher: wasmPasswordHasher(),
    },
    { policy: rolePolicy, clock: { now: () => now } },
  );
  return {
    mem,
    sharedState,
    sessions: auth.sessions,
    users: auth.users,
    keys: auth.apiKeys,
    setup: auth.setup,
    advance: (s: number) => (now = new Date(now.getTime() + s * 1000)),
  };
}

describe('permissions', () => {
  it('kiosks may only authenticate and verify; auditors never see photos; CLI and system may do all', () => {
    expect(ROLE_PERMISSIONS.kiosk).toEqual(['faces:identify', 'faces:verify']);
    expect(roleHas('auditor', 'photos:read')).toBe(false);
    expect(roleHas('enroller', 'settings:write')).toBe(false);
    expect(() => authorize(cli, 'users:manage')).not.toThrow();
    expect(() => authorize({ type: 'api_key', id: 'k', role: 'kiosk' }, 'employees:read')).toThrow(
      /permission/,
    );
    expect(() => authorize({ type: 'user', id: 'u' }, 'employees:read')).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
    expect(seesDecisionDetails({ type: 'api_key', id: 'k', role: 'kiosk' })).toBe(false);
    expect(seesDecisionDetails({ type: 'user', id: 'u', role: 'admin' })).toBe(true);
  });

  it('lets the operator and system tasks do everything without a role, under either policy', async () => {
    for (const actor of [cliActor('op'), systemActor('watch-folder')]) {
      expect(actor.role).toBeUndefined();
      expect(can(actor, 'users:manage')).toBe(true);
      await expect(Promise.resolve(rolePolicy.authorize(actor, 'keys:manage'))).resolves.toBeUndefined();
      await expect(Promise.resolve(localOnlyPolicy.authorize(actor, 'keys:manage'))).resolves.toBeUndefined();
    }
    expect(cliActor()).toMatchObject({ type: 'cli', id: 'cli' });
  });

  it('the local-only default refuses every user and key, whatever their role', () => {
    const admin: Actor = { type: 'user', id: 'u', role: 'admin' };
    expect(() => rolePolicy.authorize(admin, 'users:manage')).not.toThrow();
    expect(() => localOnlyPolicy.authorize(admin, 'employees:read')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });
});

describe('API keys', () => {
  it('are shown once, stored as a hash, authenticate, and stop at revocation', async () => {
    const { keys, mem } = setup();
    const { key, secret } = await keys.create(cli, { name: 'door', role: 'kiosk' });
    expect(secret).toMatch(/^fg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify([...mem.state.apiKeys.values()])).not.toContain(secret.slice(17));
    await expect(keys.authenticate(secret, '1.2.3.4')).resolves.toMatchObject({
      type: 'api_key',
      id: key.id,
      role: 'kiosk',
    });
    expect(mem.state.apiKeys.get(key.id)?.lastUsedAt).toEqual(expect.any(String));
    await expect(keys.authenticate(`${secret.slice(0, -1)}x`, null)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(keys.authenticate('fg_nonsense', null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await keys.revoke(cli, key.id);
    await expect(keys.authenticate(secret, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('users, sessions and setup', () => {
  it('setup token is one-time and only while no admin exists', async () => {
    const { setup: s } = setup();
    const token = await s.issueToken();
    expect(token).toMatch(/^fgsetup_/);
    await expect(
      s.complete(cli, { setupToken: 'wrong', username: 'admin', password: PASSWORD }),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await s.complete(cli, { setupToken: token!, username: 'admin', password: PASSWORD });
    expect(await s.status()).toEqual({ needsSetup: false });
    expect(await s.issueToken()).toBeNull();
    await expect(
      s.complete(cli, { setupToken: token!, username: 'b', password: PASSWORD }),
    ).rejects.toMatchObject({
      code: 'SETUP_ALREADY_DONE',
    });
  });

  it('a setup token printed by one node is taken by another node of the same shared state, once', async () => {
    const { users, sharedState } = setup();
    const runtime = { policy: rolePolicy, clock: { now: () => new Date('2026-01-01T00:00:00Z') } };
    const printing = new SetupService({ ...runtime, users, state: sharedState });
    const other = new SetupService({ ...runtime, users, state: sharedState });
    const alone = new SetupService({ ...runtime, users });
    const token = await printing.issueToken();
    if (token === null) throw new Error('no token while no admin exists');
    // A node without the shared state only knows its own token.
    await expect(
      alone.complete(cli, { setupToken: token, username: 'admin', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(
      other.complete(cli, { setupToken: 'fgsetup_wrong', username: 'admin', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await other.complete(cli, { setupToken: token, username: 'admin', password: PASSWORD });
    expect(await printing.status()).toEqual({ needsSetup: false });
    await expect(
      printing.complete(cli, { setupToken: token, username: 'b', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'SETUP_ALREADY_DONE' });
  });

  it('login gives one error for unknown users, wrong passwords and disabled accounts', async () => {
    const { users, mem } = setup();
    const alice = await users.create(cli, { username: 'alice', password: PASSWORD, role: 'enroller' });
    expect(alice.passwordHash).toMatch(/^\$argon2id\$/);
    const bad = { code: 'UNAUTHENTICATED', message: 'Wrong username or password' };
    await expect(users.login({ username: 'nobody', password: PASSWORD, ip: null })).rejects.toMatchObject(
      bad,
    );
    await expect(
      users.login({ username: 'alice', password: 'not the password', ip: null }),
    ).rejects.toMatchObject(bad);
    const admin = await users.create(cli, { username: 'root', password: PASSWORD, role: 'admin' });
    await users.update(cli, alice.id, { disabled: true });
    await expect(users.login({ username: 'alice', password: PASSWORD, ip: null })).rejects.toMatchObject(bad);
    expect((await users.login({ username: 'root', password: PASSWORD, ip: null })).user.id).toBe(admin.id);
    expect(mem.state.audit.filter((e) => e.action === 'login' && e.outcome === 'failure')).toHaveLength(3);
  });

  it('sessions are stored hashed, expire, carry a CSRF token, and end on password change', async () => {
    const { users, sessions, mem, advance } = setup();
    await users.create(cli, { username: 'root', password: PASSWORD, role: 'admin' });
    const opened = await users.login({ username: 'root', password: PASSWORD, ip: null });
    expect([...mem.state.sessions.keys()]).not.toContain(opened.token);
    const active = await sessions.resolve(opened.token, null);
    expect(() => sessions.checkCsrf(active.session, opened.csrfToken)).not.toThrow();
    expect(() => sessions.checkCsrf(active.session, 'nope')).toThrow(
      expect.objectContaining({ code: 'CSRF_FAILED' }),
    );
    await users.changePassword(active.actor, {
      currentPassword: PASSWORD,
      newPassword: 'another long passphrase',
    });
    await expect(sessions.resolve(opened.token, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const again = await users.login({ username: 'root', password: 'another long passphrase', ip: null });
    advance(3601);
    await expect(sessions.resolve(again.token, null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('never removes the last enabled admin; rejects weak passwords and bad usernames', async () => {
    const { users } = setup();
    const root = await users.create(cli, { username: 'root', password: PASSWORD, role: 'admin' });
    await expect(users.update(cli, root.id, { role: 'auditor' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(users.delete(cli, root.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      users.create(cli, { username: 'x', password: PASSWORD, role: 'admin' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      users.create(cli, { username: 'bob', password: 'short', role: 'admin' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      users.create(cli, { username: 'root', password: PASSWORD, role: 'admin' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
