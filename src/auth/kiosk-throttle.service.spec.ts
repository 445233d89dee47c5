import { describe, expect, it } from 'vitest';
import type { Decision } from '../services/identification.service.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { KioskThrottleService, type ProbeCheck } from './kiosk-throttle.service.js';

const door = ['key:k1', 'ip:10.0.0.1'];
const ctx = { action: 'authenticate', actor: null, ip: '10.0.0.1' };

function setup() {
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = () => now;
  const mem = createMemoryStore(clock);
  const throttle = new KioskThrottleService({
    store: mem,
    limits: async () => ({ threshold: 3, baseDelaySeconds: 30, hardCap: 10 }),
    now: clock,
    options: {
      windowSeconds: 600,
      maxDelaySeconds: 60,
      alarm: { rate: 0.5, minSamples: 4, windowSeconds: 60 },
    },
  });
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  return { mem, throttle, advance };
}

/** A probe of face `n` (orthogonal faces are strangers to each other). */
function face(n: number, jitter = 0): Float32Array {
  const v = new Float32Array(16);
  v[n] = 1;
  v[(n + 1) % 16] = jitter;
  return v;
}

/** One attempt whose engine sees `probe` and decides `decision`. */
function attempt(throttle: KioskThrottleService, probe: Float32Array, decision: Decision, doorOf = door) {
  return throttle.attempt(doorOf, ctx, async (beforeMatch: (p: ProbeCheck) => Promise<void>) => {
    await beforeMatch({ embedding: probe, threshold: 0.9 });
    return { decision };
  });
}

describe('KioskThrottleService', () => {
  it('strangers slow the door down, never beyond the cap', async () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 3; i++) await attempt(throttle, face(i), 'no_match');
    await expect(attempt(throttle, face(9), 'match')).rejects.toMatchObject({
      code: 'LOCKED_OUT',
      details: { retryAfterSeconds: 30 },
    });
    for (let i = 3; i < 8; i++) {
      advance(60);
      await attempt(throttle, face(i), 'no_match');
    }
    await expect(attempt(throttle, face(9), 'match')).rejects.toMatchObject({
      details: { retryAfterSeconds: 60 },
    });
    advance(60);
    await expect(attempt(throttle, face(9), 'match')).resolves.toEqual({ decision: 'match' });
  });

  it('a match does not reset the window', async () => {
    const { throttle, advance } = setup();
    await attempt(throttle, face(0), 'no_match');
    await attempt(throttle, face(1), 'no_match');
    await attempt(throttle, face(9), 'match');
    await attempt(throttle, face(2), 'no_match');
    await expect(attempt(throttle, face(9), 'match')).rejects.toMatchObject({ code: 'LOCKED_OUT' });
    advance(601);
    await expect(attempt(throttle, face(9), 'match')).resolves.toEqual({ decision: 'match' });
  });

  it('the same face retrying counts against itself, not against the door', async () => {
    const { throttle, mem } = setup();
    for (let i = 0; i < 3; i++) await attempt(throttle, face(0, i * 0.05), 'no_match');
    await expect(attempt(throttle, face(0, 0.2), 'no_match')).rejects.toMatchObject({
      code: 'LOCKED_OUT',
      details: { retryAfterSeconds: 30 },
    });
    // Another person at the same door is not held up by the impostor.
    await expect(attempt(throttle, face(5), 'match')).resolves.toEqual({ decision: 'match' });
    const refusal = mem.state.audit.find((e) => e.outcome === 'refused');
    expect(refusal?.details).toMatchObject({ subject: 'face' });
  });

  it("an employee's failure is taken back from the door when the same face then matches", async () => {
    const { throttle } = setup();
    await attempt(throttle, face(0), 'no_match');
    await attempt(throttle, face(2), 'no_match'); // the employee, badly lit
    await attempt(throttle, face(2, 0.1), 'match'); // ...who gets in at the second try
    await attempt(throttle, face(1), 'no_match');
    // Two strangers' failures remain, below the threshold of 3.
    await expect(attempt(throttle, face(9), 'match')).resolves.toEqual({ decision: 'match' });
    await attempt(throttle, face(3), 'no_match');
    await expect(attempt(throttle, face(9), 'match')).rejects.toMatchObject({ code: 'LOCKED_OUT' });
  });

  it('while the door is in a delay, its attempts run one at a time', async () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 3; i++) await attempt(throttle, face(i), 'no_match');
    advance(30);
    let running = 0;
    let most = 0;
    let analysed = 0;
    const slow = (n: number) =>
      throttle.attempt(door, ctx, async (beforeMatch) => {
        running++;
        analysed++;
        most = Math.max(most, running);
        await beforeMatch({ embedding: face(n), threshold: 0.9 });
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return { decision: 'no_match' as const };
      });
    const settled = await Promise.allSettled([3, 4, 5, 6].map(slow));
    expect(most).toBe(1);
    expect(analysed).toBe(1);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(3);
  });

  it('doors are independent; retries are no attempts', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 5; i++) await attempt(throttle, face(i), 'retry');
    for (let i = 0; i < 3; i++) await attempt(throttle, face(i), 'no_match');
    await expect(attempt(throttle, face(9), 'match', ['key:k2', 'ip:10.0.0.2'])).resolves.toBeDefined();
  });

  it('raises the impostor alarm once per window, as an audit event', async () => {
    const { throttle, mem, advance } = setup();
    for (let i = 0; i < 6; i++) {
      await attempt(throttle, face(i), 'no_match', [`ip:10.0.1.${i}`]);
      advance(1);
    }
    const alarms = mem.state.audit.filter((e) => e.action === 'security.impostor_alarm');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ outcome: 'alarm', details: { noMatches: 4, decisions: 4 } });
    expect(await throttle.alarmState()).toMatchObject({ active: true, raised: 1 });
  });
});
