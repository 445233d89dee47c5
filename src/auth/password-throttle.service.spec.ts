import { describe, expect, it, vi } from 'vitest';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { LockoutService } from './lockout.service.js';
import { PasswordThrottleService } from './password-throttle.service.js';

function setup() {
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = () => now;
  const mem = createMemoryStore(clock);
  const locks = { lockFaceLogin: vi.fn(), clearFaceLoginLock: vi.fn() };
  const lockout = new LockoutService({
    store: mem,
    employees: locks,
    limits: async () => ({ threshold: 3, baseDelaySeconds: 30, hardCap: 5 }),
    clock: { now: clock },
  });
  let ms = 0;
  const waits: number[] = [];
  const throttle = new PasswordThrottleService({
    lockout,
    slots: new MemorySharedState({ now: () => ms }),
    pace: { intervalMs: 1000, maxWaitMs: 2000 },
    sleep: async (wait) => {
      waits.push(wait);
    },
  });
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
    ms += seconds * 1000;
  };
  return { mem, throttle, waits, advance };
}

const from = (ip: string) => ({ action: 'login', actor: null, ip });

describe('PasswordThrottleService', () => {
  it('guessing from one address delays that address only', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 3; i++) {
      await throttle.before('Alice', from('10.0.0.1'));
      await throttle.failed('alice', from('10.0.0.1'));
    }
    await expect(throttle.before('alice', from('10.0.0.1'))).rejects.toMatchObject({ code: 'LOCKED_OUT' });
    await expect(throttle.before('alice', from('10.0.0.2'))).resolves.toBeUndefined();
    await expect(throttle.before('bob', from('10.0.0.1'))).resolves.toBeUndefined();
  });

  it('paces a username to about one attempt a second, never waiting past the bound', async () => {
    const { throttle, waits, advance } = setup();
    for (let i = 0; i < 5; i++) await throttle.before('alice', from(`10.0.0.${i}`));
    expect(waits).toEqual([0, 1000, 2000, 2000, 2000]);
    advance(10);
    await throttle.before('alice', from('10.0.0.9'));
    expect(waits.at(-1)).toBe(0);
  });

  it('a success resets the pair and the pace; clear forgets every address of a username', async () => {
    const { throttle, waits, mem } = setup();
    await throttle.before('alice', from('10.0.0.1'));
    await throttle.failed('alice', from('10.0.0.1'));
    await throttle.failed('alice', from('10.0.0.2'));
    await throttle.succeeded('alice', '10.0.0.1');
    await throttle.before('alice', from('10.0.0.1'));
    expect(waits).toEqual([0, 0]);
    expect(mem.state.lockouts.get('login:alice|10.0.0.1')?.consecutiveFailures).toBe(0);
    await throttle.clear('Alice');
    expect([...mem.state.lockouts.keys()].filter((k) => k.startsWith('login:alice|'))).toEqual([]);
  });
});
