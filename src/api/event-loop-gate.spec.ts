import { describe, expect, it } from 'vitest';
import { LOOP_TICK_MS, LOOP_WINDOW_MS, LoopDelayWindow } from './event-loop-gate.js';

/** A window fed `count` on-time samples, one per tick, ending at `end`. */
function healthyWindow(count: number, end: number): LoopDelayWindow {
  const window = new LoopDelayWindow();
  for (let i = count - 1; i >= 0; i--) window.record(end - i * LOOP_TICK_MS, 0.2);
  return window;
}

describe('event-loop delay window', () => {
  it('reads 0 from an empty window and from a window whose samples have all expired', () => {
    const window = new LoopDelayWindow();
    expect(window.delayMs(1000)).toBe(0);
    window.record(1000, 3000);
    window.record(1010, 3000);
    expect(window.delayMs(1010)).toBe(3000);
    expect(window.delayMs(1010 + LOOP_WINDOW_MS + 1)).toBe(0);
  });

  it('never counts one late sample alone, however late, with or without on-time samples around it', () => {
    const alone = new LoopDelayWindow();
    alone.record(60_000, 60_000);
    expect(alone.delayMs(60_000)).toBe(0);
    const window = healthyWindow(20, 5000);
    window.record(6500, 1500);
    expect(window.delayMs(6500)).toBe(0.2);
  });

  it('reads a loop that keeps running late: the sample 1 % of the window exceeds', () => {
    const window = healthyWindow(300, 5000);
    for (let i = 1; i <= 3; i++) window.record(5000 + i * 400, 390);
    // 303 samples: the fourth worst (rank 3) is still on time.
    expect(window.delayMs(6200)).toBe(0.2);
    window.record(6600, 390);
    expect(window.delayMs(6600)).toBe(390);
  });

  it('forgets late samples once they leave the window', () => {
    const window = new LoopDelayWindow();
    window.record(0, 2500);
    window.record(2500, 2500);
    expect(window.delayMs(2500)).toBe(2500);
    window.record(LOOP_WINDOW_MS + 100, 0.1);
    expect(window.delayMs(LOOP_WINDOW_MS + 100)).toBe(0.1);
  });
});
