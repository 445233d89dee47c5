import { describe, expect, it, vi } from 'vitest';
import { rolePolicy } from '../domain/access.js';
import { createMemoryStore, employeeRecord } from '../store/testing/memory-store.js';
import { LockoutService, lockoutSubject } from './lockout.service.js';

const EMPLOYEE = '11111111-1111-4111-8111-111111111111';

function setup(limits = { threshold: 3, baseDelaySeconds: 30, hardCap: 5 }) {
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = () => now;
  const mem = createMemoryStore(clock);
  mem.state.employees.set(EMPLOYEE, employeeRecord(EMPLOYEE));
  const locks = {
    lockFaceLogin: vi.fn(async () => undefined),
    clearFaceLoginLock: vi.fn(async () => undefined),
  };
  const service = new LockoutService({
    store: mem,
    employees: locks,
    limits: async () => limits,
    policy: rolePolicy,
    clock: { now: clock },
  });
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  return { mem, service, locks, advance };
}

const ctx = { action: 'authenticate', actor: null, ip: '10.0.0.1' };
const key = lockoutSubject.key('k1');

describe('LockoutService', () => {
  it('allows attempts below the threshold', async () => {
    const { service } = setup();
    await service.recordFailure([key], ctx);
    await service.recordFailure([key], ctx);
    await expect(service.assertNotLocked([key], ctx)).resolves.toBeUndefined();
  });

  it('delays the subject for baseDelay at the threshold, then doubles', async () => {
    const { service, advance } = setup();
    for (let i = 0; i < 3; i++) await service.recordFailure([key], ctx);
    await expect(service.assertNotLocked([key], ctx)).rejects.toMatchObject({
      code: 'LOCKED_OUT',
      details: { retryAfterSeconds: 30 },
    });
    advance(30);
    await expect(service.assertNotLocked([key], ctx)).resolves.toBeUndefined();
    await service.recordFailure([key], ctx);
    await expect(service.assertNotLocked([key], ctx)).rejects.toMatchObject({
      details: { retryAfterSeconds: 60 },
    });
    advance(60);
    await service.recordFailure([key], ctx);
    await expect(service.assertNotLocked([key], ctx)).rejects.toMatchObject({
      details: { retryAfterSeconds: 120 },
    });
  });

  it('a success resets the consecutive counter but keeps the total', async () => {
    const { service, mem } = setup();
    await service.recordFailure([key], ctx);
    await service.recordFailure([key], ctx);
    await service.recordSuccess([key]);
    await service.recordFailure([key], ctx);
    expect(mem.state.lockouts.get(key)).toMatchObject({
      consecutiveFailures: 1,
      totalFailures: 3,
      lockedUntil: null,
    });
  });

  it('subjects are independent', async () => {
    const { service } = setup();
    for (let i = 0; i < 3; i++) await service.recordFailure([key], ctx);
    await expect(service.assertNotLocked([lockoutSubject.key('k2')], ctx)).resolves.toBeUndefined();
  });

  it('the hard cap locks the employee once, and audits it', async () => {
    const { service, locks, mem, advance } = setup();
    const subject = lockoutSubject.employee(EMPLOYEE);
    for (let i = 0; i < 5; i++) {
      advance(3600);
      await service.recordFailure([subject], ctx);
    }
    expect(locks.lockFaceLogin).toHaveBeenCalledTimes(1);
    expect(locks.lockFaceLogin).toHaveBeenCalledWith(EMPLOYEE, expect.objectContaining({ type: 'system' }));
    expect(mem.state.audit.some((e) => e.action === 'lockout.hard' && e.employeeId === EMPLOYEE)).toBe(true);
    expect(mem.state.audit.filter((e) => e.action === 'lockout.delay')).toHaveLength(3);
  });

  it('the hard cap never locks API keys or addresses as employees', async () => {
    const { service, locks } = setup();
    for (let i = 0; i < 8; i++) await service.recordFailure([key, lockoutSubject.ip('10.0.0.1')], ctx);
    expect(locks.lockFaceLogin).not.toHaveBeenCalled();
  });

  it('refusals are audited; the login subject never records the typed username', async () => {
    const { service, mem } = setup();
    const login = lockoutSubject.login('Alice');
    for (let i = 0; i < 3; i++) await service.recordFailure([login], { ...ctx, action: 'login' });
    await expect(service.assertNotLocked([login], ctx)).rejects.toMatchObject({ code: 'LOCKED_OUT' });
    expect(mem.state.audit.some((e) => e.outcome === 'refused' && e.reason === 'LOCKED_OUT')).toBe(true);
    expect(JSON.stringify(mem.state.audit)).not.toContain('alice');
  });

  it('unlock needs the admin permission and clears the employee subject', async () => {
    const { service, locks, mem } = setup();
    const subject = lockoutSubject.employee(EMPLOYEE);
    await service.recordFailure([subject], ctx);
    const enroller = { type: 'user' as const, id: 'u', role: 'enroller' as const, name: 'e', ip: null };
    await expect(service.unlockEmployee(enroller, EMPLOYEE)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await service.unlockEmployee({ ...enroller, role: 'admin' }, EMPLOYEE);
    expect(locks.clearFaceLoginLock).toHaveBeenCalledWith(
      EMPLOYEE,
      expect.objectContaining({ role: 'admin' }),
    );
    expect(mem.state.lockouts.has(subject)).toBe(false);
  });
});
