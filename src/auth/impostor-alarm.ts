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
  /** Alarms raised since start (at most one per window). */
  raised: number;
}

/**
 * Global impostor-rate alarm over per-second buckets of one sliding window. Pure apart from the clock the caller
 * passes in; `record` says when a new alarm is due, the caller audits it.
 */
export class ImpostorRateAlarm {
  private readonly buckets = new Map<number, { decisions: number; noMatches: number }>();
  private lastRaisedAt: number | undefined;
  private raised = 0;

  constructor(private readonly rule: ImpostorAlarmRule) {}

  /** Counts one decision at `now` (epoch ms); returns the state when an alarm is due (once per window). */
  record(decision: 'match' | 'no_match', now: number): ImpostorAlarmState | undefined {
    const second = Math.floor(now / 1000);
    const bucket = this.buckets.get(second) ?? { decisions: 0, noMatches: 0 };
    bucket.decisions++;
    if (decision === 'no_match') bucket.noMatches++;
    this.buckets.set(second, bucket);
    const state = this.snapshot(now);
    const windowMs = this.rule.windowSeconds * 1000;
    if (!state.active) return undefined;
    if (this.lastRaisedAt !== undefined && now - this.lastRaisedAt < windowMs) return undefined;
    this.lastRaisedAt = now;
    this.raised++;
    return { ...state, raised: this.raised };
  }

  /** Counts over the window ending at `now`. */
  snapshot(now: number): ImpostorAlarmState {
    const oldest = Math.floor(now / 1000) - this.rule.windowSeconds;
    let decisions = 0;
    let noMatches = 0;
    for (const [second, bucket] of this.buckets) {
      if (second <= oldest) {
        this.buckets.delete(second);
        continue;
      }
      decisions += bucket.decisions;
      noMatches += bucket.noMatches;
    }
    const ratio = decisions === 0 ? 0 : noMatches / decisions;
    const active = decisions >= this.rule.minSamples && ratio > this.rule.rate;
    return { decisions, noMatches, ratio, active, raised: this.raised };
  }
}
