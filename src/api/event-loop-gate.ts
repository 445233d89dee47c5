import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { FacegateError } from '../domain/errors.js';

/** How often the loop is sampled: a timer of this period records how late each of its turns runs. */
export const LOOP_TICK_MS = 10;
/** How far back the reading looks, at least. */
export const LOOP_WINDOW_MS = 5000;
/** The seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 5;

interface LoopSample {
  at: number;
  delayMs: number;
}

/**
 * The event-loop delay of a recent window ({@link LOOP_WINDOW_MS} by default): the sample that 1 % of the window's samples exceed,
 * and at least one. A loop blocked once, however long, leaves one late sample, which never counts alone; a loop
 * that keeps running late leaves mostly late samples. An empty window reads 0, never NaN or Infinity.
 */
export class LoopDelayWindow {
  private readonly samples: LoopSample[] = [];
  private reading: number | undefined;

  constructor(private readonly windowMs = LOOP_WINDOW_MS) {}

  /** Adds a sample taken at `at` (ms, monotonic). */
  record(at: number, delayMs: number): void {
    this.samples.push({ at, delayMs });
    this.reading = undefined;
  }

  /** The window's delay (ms) as of `now` (ms, monotonic); cached until a sample comes or leaves. */
  delayMs(now: number): number {
    const expired = this.samples.findIndex((s) => s.at >= now - this.windowMs);
    const drop = expired === -1 ? this.samples.length : expired;
    if (drop > 0) {
      this.samples.splice(0, drop);
      this.reading = undefined;
    }
    this.reading ??= this.percentile();
    return this.reading;
  }

  private percentile(): number {
    const rank = Math.max(1, Math.floor(this.samples.length / 100));
    if (this.samples.length <= rank) return 0;
    const worstFirst = this.samples.map((s) => s.delayMs).sort((a, b) => b - a);
    return worstFirst[rank] ?? 0;
  }
}

/**
 * Samples the event loop into a {@link LoopDelayWindow}. Our own timer, not `monitorEventLoopDelay`: resetting
 * that histogram also forgets its last tick, so a block that spans a reset is never recorded and the next read
 * can find no sample at all.
 */
export class LoopDelayMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private lastUse: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(readonly window = new LoopDelayWindow()) {}

  /** Starts sampling (idempotent); the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.lastAt = performance.now();
    this.lastUse = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.tick(), LOOP_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The current reading (ms). */
  delayMs(): number {
    return this.window.delayMs(performance.now());
  }

  private tick(): void {
    const now = performance.now();
    const use = performance.eventLoopUtilization();
    const late = now - this.lastAt - LOOP_TICK_MS;
    // Only time the loop was busy counts: a process that was suspended (a Lambda function between invocations,
    // a machine asleep) was idle, not overloaded, however late its timer ran.
    const busy = performance.eventLoopUtilization(use, this.lastUse).active;
    this.window.record(now, Math.max(0, Math.min(late, busy)));
    this.lastAt = now;
    this.lastUse = use;
  }
}

/**
 * Backpressure on the event loop: while the loop's recent delay ({@link LoopDelayWindow}) is above
 * `maxDelayMs`, every request is answered `503 OVERLOADED` with `Retry-After`. Sampling runs from `onReady` to
 * `onClose`; 0 turns the check off.
 */
export function registerLoopDelayGate(app: FastifyInstance, maxDelayMs: number): void {
  if (maxDelayMs <= 0) return;
  // Two stalls past the limit must fit in the window, or no reading could ever exceed it.
  const monitor = new LoopDelayMonitor(new LoopDelayWindow(Math.max(LOOP_WINDOW_MS, 2.5 * maxDelayMs)));
  app.addHook('onReady', async () => monitor.start());
  app.addHook('onClose', async () => monitor.stop());
  app.addHook('onRequest', async () => {
    if (monitor.delayMs() > maxDelayMs) {
      throw new FacegateError('OVERLOADED', 'Server busy; retry shortly', {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
  });
}
