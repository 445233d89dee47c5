import { describe, expect, it } from 'vitest';
import { LocalThrottleGate } from './throttle-gate.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('LocalThrottleGate', () => {
  it('runs the work of one key one at a time, in order, even when some fail', async () => {
    const gate = new LocalThrottleGate();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const jobs = [0, 1, 2, 3].map((i) =>
      gate.run('key:a', async () => {
        running++;
        most = Math.max(most, running);
        await tick();
        order.push(i);
        running--;
        if (i === 1) throw new Error('boom');
        return i;
      }),
    );
    const settled = await Promise.allSettled(jobs);
    expect(most).toBe(1);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(gate.busyKeys).toBe(0);
  });

  it('different keys run side by side', async () => {
    const gate = new LocalThrottleGate();
    let running = 0;
    let most = 0;
    const job = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    await Promise.all([gate.run('key:a', job), gate.run('key:b', job)]);
    expect(most).toBe(2);
  });
});
