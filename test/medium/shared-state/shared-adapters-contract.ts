import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KioskThrottleService, type ProbeCheck } from '../../../src/auth/kiosk-throttle.service.js';
import { LockoutService } from '../../../src/auth/lockout.service.js';
import { PasswordThrottleService } from '../../../src/auth/password-throttle.service.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import type { Decision } from '../../../src/services/identification.service.js';
import { SharedFailedProbes } from '../../../src/shared-state/shared-failed-probes.js';
import { SharedFailureWindows } from '../../../src/shared-state/shared-failure-windows.js';
import type { SharedState } from '../../../src/shared-state/shared-state.port.js';
import { SharedThrottleGate } from '../../../src/shared-state/shared-throttle-gate.js';
import { createMemoryStore } from '../../../src/store/testing/memory-store.js';
import type { SharedStateUnderTest } from './shared-state-contract.js';

/** A probe of face `n` (orthogonal faces are strangers to each other). */
function face(n: number, jitter = 0): Float32Array {
  const v = new Float32Array(16);
  v[n] = 1;
  v[(n + 1) % 16] = jitter;
  return v;
}

/** One kiosk node: its own throttle service, with the kiosk state on the shared state. */
function kioskNode(state: SharedState, clock: () => Date, store = createMemoryStore(clock)) {
  const windowMs = 600_000;
  return new KioskThrottleService({
    store,
    limits: async () => ({ threshold: 3, baseDelaySeconds: 30, hardCap: 10 }),
    now: clock,
    options: {
      windowSeconds: 600,
      maxDelaySeconds: 60,
      alarm: { rate: 0.5, minSamples: 4, windowSeconds: 60 },
    },
    windows: new SharedFailureWindows(state, windowMs),
    probes: new SharedFailedProbes(state, { ttlMs: windowMs }),
    gate: new SharedThrottleGate(state),
    alarmCounters: state,
  });
}

/** One node's password throttle: its own pace bookkeeping on the shared state, waits recorded, not slept. */
function passwordNode(state: SharedState) {
  const clock = () => new Date('2026-01-01T00:00:00Z');
  const lockout = new LockoutService({
    store: createMemoryStore(clock),
    employees: { lockFaceLogin: async () => undefined, clearFaceLoginLock: async () => undefined },
    limits: async () => ({ threshold: 3, baseDelaySeconds: 30, hardCap: 5 }),
    clock: { now: clock },
  });
  const waits: number[] = [];
  const throttle = new PasswordThrottleService({
    lockout,
    slots: state,
    pace: { intervalMs: 1000, maxWaitMs: 5000 },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { throttle, waits };
}

const door = ['key:k1', 'ip:10.0.0.1'];
const ctx = { action: 'authenticate', actor: null, ip: '10.0.0.1' };

function attempt(throttle: KioskThrottleService, probe: Float32Array, decision: Decision) {
  return throttle.attempt(door, ctx, async (beforeMatch: (p: ProbeCheck) => Promise<void>) => {
    await beforeMatch({ embedding: probe, threshold: 0.9 });
    return { decision };
  });
}

/** The kiosk-throttle interfaces implemented on the shared state, seen from two nodes. */
export function describeSharedAdapters(name: string, open: () => Promise<SharedStateUnderTest>): void {
  describe(`kiosk-throttle adapters on shared state: ${name}`, () => {
    let s: SharedStateUnderTest;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(async () => {
      await s.dispose();
    });

    it('failure windows: a failure counted on one node is seen on the other; remove takes back one', async () => {
      const a = new SharedFailureWindows(s.a, 60_000);
      const b = new SharedFailureWindows(s.b, 60_000);
      await a.add('door:1', 1_000);
      await b.add('door:1', 1_000);
      await a.add('door:1', 2_000);
      await b.add('door:2', 1_500);
      expect(await b.since('door:1', 0)).toEqual([1_000, 1_000, 2_000]);
      expect(await a.since('door:1', 1_001)).toEqual([2_000]);
      await a.remove('door:1', 1_000);
      expect(await b.since('door:1', 0)).toEqual([1_000, 2_000]);
      await a.add('door:1', 70_000); // the window slid past 1 000 and 2 000
      expect(await b.since('door:1', 0)).toEqual([70_000]);
      expect(await a.since('door:2', 0)).toEqual([1_500]);
    });

    it('failed probes: remembered on one node, matched and forgotten from the other', async () => {
      const a = new SharedFailedProbes(s.a, { ttlMs: 60_000 });
      const b = new SharedFailedProbes(s.b, { ttlMs: 60_000 });
      const id = await a.remember(face(0), undefined, 10_000);
      await a.remember(face(0, 0.1), id, 11_000);
      const other = await b.remember(face(5), undefined, 12_000);
      expect(await b.match(face(0, 0.05), 0.9, 12_000)).toEqual({ faceId: id, firstFailedAt: 10_000 });
      expect(await b.match(face(9), 0.9, 12_000)).toBeUndefined();
      expect(await a.match(face(0), 0.9, 70_500)).toEqual({ faceId: id, firstFailedAt: 11_000 });
      await b.forget(id);
      expect(await a.match(face(0), 0.9, 12_000)).toBeUndefined();
      expect(await a.match(face(5), 0.9, 12_000)).toEqual({ faceId: other, firstFailedAt: 12_000 });
    });

    it('failed probes: sealed entries hold no embedding bytes in clear, and the capacity holds', async () => {
      const cipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);
      const probes = new SharedFailedProbes(s.a, { ttlMs: 60_000, cipher, capacity: 3, key: 'sealed' });
      const probe = face(3, 0.25);
      const id = await probes.remember(probe, undefined, 1_000);
      const [raw] = await s.b.timedRange('sealed', 0);
      expect(Buffer.from(raw!.entry).includes(Buffer.from(probe.buffer))).toBe(false);
      expect(await probes.match(probe, 0.9, 1_000)).toEqual({ faceId: id, firstFailedAt: 1_000 });
      for (let i = 0; i < 5; i++) await probes.remember(face(i + 6), undefined, 2_000 + i);
      expect(await s.b.timedRange('sealed', 0)).toHaveLength(3);
      expect(await probes.match(probe, 0.9, 10_000)).toBeUndefined();
      const foreign = new SharedFailedProbes(s.b, { ttlMs: 60_000, key: 'sealed' });
      expect(await foreign.match(face(6), 0.9, 10_000)).toBeUndefined(); // unreadable entries are ignored
    });

    it('throttle gate: runs of one key never overlap across nodes; other keys run beside them', async () => {
      const gates = [new SharedThrottleGate(s.a, { pollMs: 5 }), new SharedThrottleGate(s.b, { pollMs: 5 })];
      let running = 0;
      let most = 0;
      const work = async () => {
        running++;
        most = Math.max(most, running);
        await sleep(15);
        running--;
      };
      await Promise.all(Array.from({ length: 8 }, (_, i) => gates[i % 2]!.run('door', work)));
      expect(most).toBe(1);
      let beside = 0;
      await Promise.all([
        gates[0]!.run('x', () => sleep(60)),
        gates[1]!.run('y', async () => {
          beside++;
        }),
      ]);
      expect(beside).toBe(1);
      await expect(gates[0]!.run('door', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
        'boom',
      );
      await expect(gates[1]!.run('door', async () => 'free again')).resolves.toBe('free again');
    });

    it('throttle gate: a lock left by a dead node holds until its time to live, then the key runs', async () => {
      expect(await s.a.tryLock('gate:door', 100)).toBeDefined(); // a node died holding the gate
      const gate = new SharedThrottleGate(s.b, { pollMs: 5 });
      const started = Date.now();
      await gate.run('door', async () => undefined);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
      const stuck = new SharedThrottleGate(s.b, { pollMs: 5, maxWaitMs: 50 });
      await s.a.tryLock('gate:held', 10_000);
      await expect(stuck.run('held', async () => undefined)).rejects.toMatchObject({ code: 'OVERLOADED' });
    });

    it('kiosk throttle: strangers failing at a door through one node lock that door on the other', async () => {
      const clock = () => new Date('2026-01-01T00:00:00Z');
      const nodeA = kioskNode(s.a, clock);
      const nodeB = kioskNode(s.b, clock);
      for (let i = 0; i < 3; i++) await attempt(nodeA, face(i), 'no_match');
      await expect(attempt(nodeB, face(9), 'match')).rejects.toMatchObject({
        code: 'LOCKED_OUT',
        details: { retryAfterSeconds: 30 },
      });
    });

    it('password pace: attempts on one username through two nodes are paced as one', async () => {
      const nodeA = passwordNode(s.a);
      const nodeB = passwordNode(s.b);
      const from = (ip: string) => ({ action: 'login', actor: null, ip });
      await nodeA.throttle.before('Alice', from('10.0.0.1'));
      await nodeB.throttle.before('alice', from('10.0.0.2'));
      await nodeA.throttle.before('ALICE', from('10.0.0.3'));
      const waits = [...nodeA.waits, ...nodeB.waits].sort((x, y) => x - y);
      expect(waits[0]).toBe(0);
      expect(waits[1]).toBeGreaterThan(500);
      expect(waits[2]).toBeGreaterThan(1500);
      // Another username has its own pace; a success on one node resets the pace for every node.
      await nodeB.throttle.before('bob', from('10.0.0.4'));
      expect(nodeB.waits.at(-1)).toBe(0);
      await nodeB.throttle.succeeded('alice', '10.0.0.2');
      await nodeA.throttle.before('alice', from('10.0.0.1'));
      expect(nodeA.waits.at(-1)).toBe(0);
    });

    it('impostor alarm: decisions through both nodes count in one window, and one node raises it', async () => {
      let t = Date.parse('2026-01-01T00:00:00Z');
      const clock = () => new Date(t);
      const storeA = createMemoryStore(clock);
      const storeB = createMemoryStore(clock);
      const nodeA = kioskNode(s.a, clock, storeA);
      const nodeB = kioskNode(s.b, clock, storeB);
      const ctxOf = (i: number) => ({ ...ctx, ip: `10.0.2.${i}` });
      for (let i = 0; i < 6; i++) {
        const node = i % 2 ? nodeA : nodeB;
        await node.attempt([`ip:10.0.2.${i}`], ctxOf(i), async () => ({ decision: 'no_match' as const }));
        t += 1000;
      }
      const alarms = [...storeA.state.audit, ...storeB.state.audit].filter(
        (e) => e.action === 'security.impostor_alarm',
      );
      expect(alarms).toHaveLength(1);
      expect(await nodeA.alarmState()).toMatchObject({ decisions: 6, noMatches: 6, active: true });
      expect(await nodeB.alarmState()).toMatchObject({ decisions: 6, noMatches: 6, active: true });
    });
  });
}
