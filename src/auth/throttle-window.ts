/**
 * Failure times per subject over a sliding window. In memory on one node; with several API nodes this moves to
 * shared storage (Redis), hence the asynchronous interface.
 */
export interface FailureWindows {
  /** Records one failure of `subject` at `at` (epoch ms). */
  add(subject: string, at: number): Promise<void>;
  /** Failure times (epoch ms) of `subject` at or after `since`, oldest first. */
  since(subject: string, since: number): Promise<number[]>;
  /** Takes back one failure of `subject` recorded at `at`, if it is still held. */
  remove(subject: string, at: number): Promise<void>;
}

/** How failures inside the window turn into a delay before the next attempt. */
export interface DelayRule {
  /** Failures inside the window from which a delay applies. */
  threshold: number;
  /** First delay; doubles with each further failure. */
  baseSeconds: number;
  /** The delay never exceeds this. */
  maxSeconds: number;
}

/** Delay after `failures` failures: 0 below the threshold, then base doubling, capped. */
export function delaySeconds(failures: number, rule: DelayRule): number {
  if (failures < rule.threshold) return 0;
  const doubled = rule.baseSeconds * 2 ** Math.min(30, failures - rule.threshold);
  return Math.min(rule.maxSeconds, doubled);
}

/** Whole seconds until the next attempt is allowed (0: now), counted from the last failure in `times`. */
export function retryAfterSeconds(times: readonly number[], rule: DelayRule, now: number): number {
  const last = times.at(-1);
  if (last === undefined) return 0;
  const until = last + delaySeconds(times.length, rule) * 1000;
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/** In-process {@link FailureWindows}: bounded in subjects and in failures kept per subject. */
export class MemoryFailureWindows implements FailureWindows {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly maxSubjects = 10_000,
    private readonly maxPerSubject = 1_000,
  ) {}

  async add(subject: string, at: number): Promise<void> {
    const kept = (this.times.get(subject) ?? []).filter((t) => t > at - this.windowMs);
    kept.push(at);
    if (kept.length > this.maxPerSubject) kept.splice(0, kept.length - this.maxPerSubject);
    // Re-inserting keeps the map in least-recently-failed order, so eviction drops the stalest subject.
    this.times.delete(subject);
    this.times.set(subject, kept);
    for (const stale of this.times.keys()) {
      if (this.times.size <= this.maxSubjects) break;
      this.times.delete(stale);
    }
  }

  async since(subject: string, since: number): Promise<number[]> {
    return (this.times.get(subject) ?? []).filter((t) => t >= since);
  }

  async remove(subject: string, at: number): Promise<void> {
    const kept = this.times.get(subject);
    const index = kept?.indexOf(at) ?? -1;
    if (kept && index >= 0) kept.splice(index, 1);
  }
}
