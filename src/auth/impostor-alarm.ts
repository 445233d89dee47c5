import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import type { SharedState } from '../shared-state/shared-state.port.js';

/** When the share of `no_match` decisions across all kiosks counts as an attack. */
export interface ImpostorAlarmRule {
  /** Share of `no_match` among decisions (0..1) above which the alarm is raised. */
  rate: number;
  /** Decisions needed in the window before the share means anything. */
  minSamples: number;
  /** Length of the sliding window, and the shortest time between two raised alarms. */
  windowSeconds: number;
}

/** The alarm as metrics show it. */
export interface ImpostorAlarmState {
  /** Decisions (`match` + `no_match`) in the window. */
  decisions: number;
  noMatches: number;
  /** `noMatches / decisions` (0 when there are none). */
  ratio: number;
  /** The share is above the rate with enough samples right now. */
  active: boolean;
  /** Alarms this node raised since start (at most one per window over all nodes). */
  raised: number;
}

/** Where the alarm counts: the shared state (memory on one node, Redis across nodes). */
export type AlarmCounters = Pick<SharedState, 'increment' | 'readCounters' | 'putItem'>;

/** Most buckets a window is cut into (the share is read from all of them at each decision). */
const MAX_BUCKETS = 60;
const PREFIX = 'impostor-alarm:';

/**
 * Global impostor-rate alarm over the buckets of one sliding window (one second each, or a sixtieth of a longer
 * window), counted on the shared state: with Redis every node's decisions count in one window, and one alarm per
 * window is raised over all nodes (the first node to claim it). `record` says when an alarm is due; the caller
 * audits it.
 */
export class ImpostorRateAlarm {
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly buckets: number;
  /** Alarms this node raised since start. */
  private raised = 0;

  constructor(
    private readonly rule: ImpostorAlarmRule,
    private readonly counters: AlarmCounters = new MemorySharedState(),
  ) {
    this.windowMs = rule.windowSeconds * 1000;
    this.bucketMs = Math.max(1, Math.ceil(rule.windowSeconds / MAX_BUCKETS)) * 1000;
    this.buckets = Math.ceil(this.windowMs / this.bucketMs);
  }

  /** Counts one decision at `now` (epoch ms); returns the state when an alarm is due (once per window). */
  async record(decision: 'match' | 'no_match', now: number): Promise<ImpostorAlarmState | undefined> {
    const bucket = Math.floor(now / this.bucketMs);
    // Each bucket's counters outlive the window they can be read in.
    const ttlMs = this.windowMs + 2 * this.bucketMs;
    await this.counters.increment(`${PREFIX}d:${bucket}`, ttlMs);
    if (decision === 'no_match') await this.counters.increment(`${PREFIX}n:${bucket}`, ttlMs);
    const state = await this.snapshot(now);
    if (!state.active) return undefined;
    if (!(await this.counters.putItem(`${PREFIX}raised`, String(now), this.windowMs))) return undefined;
    this.raised++;
    return { ...state, raised: this.raised };
  }

  /** Counts over the window ending at `now`. */
  async snapshot(now: number): Promise<ImpostorAlarmState> {
    const newest = Math.floor(now / this.bucketMs);
    const buckets = Array.from({ length: this.buckets }, (_, i) => newest - i);
    const counts = await this.counters.readCounters([
      ...buckets.map((b) => `${PREFIX}d:${b}`),
      ...buckets.map((b) => `${PREFIX}n:${b}`),
    ]);
    const decisions = sum(counts.slice(0, buckets.length));
    const noMatches = sum(counts.slice(buckets.length));
    const ratio = decisions === 0 ? 0 : noMatches / decisions;
    const active = decisions >= this.rule.minSamples && ratio > this.rule.rate;
    return { decisions, noMatches, ratio, active, raised: this.raised };
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
