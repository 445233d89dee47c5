import { FacegateError } from '../domain/errors.js';
import type { Decision } from '../services/identification.service.js';
import type { Store } from '../store/store.port.js';
import {
  type AlarmCounters,
  type ImpostorAlarmRule,
  type ImpostorAlarmState,
  ImpostorRateAlarm,
} from './impostor-alarm.js';
import { type FaceSubject, type FailedProbes, MemoryFailedProbes } from './impostor-probes.js';
import type { AttemptContext, LockoutLimits } from './lockout.service.js';
import { LocalThrottleGate, type ThrottleGate } from './throttle-gate.js';
import {
  type DelayRule,
  delaySeconds,
  type FailureWindows,
  MemoryFailureWindows,
  retryAfterSeconds,
} from './throttle-window.js';

/** The probe of an attempt, handed over before the gallery is searched. */
export interface ProbeCheck {
  /** L2-normalised embedding of the probe face; only held in memory for a short time. */
  embedding: Float32Array;
  /** Match threshold in force: a face this close to a failed probe counts as the same face. */
  threshold: number;
}

/** Kiosk throttle settings (config). */
export interface KioskThrottleOptions {
  /** Sliding window over which door and face failures count; also how long failed probes are remembered. */
  windowSeconds: number;
  /** Longest delay a door (API key, client address) ever gets. */
  maxDelaySeconds: number;
  alarm: ImpostorAlarmRule;
}

/** What the kiosk throttle is built from. */
export interface KioskThrottleDeps {
  store: Pick<Store, 'audit'>;
  /** Threshold and base delay in force (run-time settings shared with the lockout). */
  limits: () => Promise<LockoutLimits>;
  options: KioskThrottleOptions;
  now?: () => Date;
  windows?: FailureWindows;
  probes?: FailedProbes;
  gate?: ThrottleGate;
  /** Where the impostor alarm counts (the shared state); a memory state of its own when absent. */
  alarmCounters?: AlarmCounters;
}

/** Subjects of a face subject: one unknown face that keeps failing. */
const faceSubject = (faceId: string) => `face:${faceId}`;

/** The probe of the running attempt and the recently failed face it resembles, if any. */
interface HeldProbe {
  embedding: Float32Array;
  face: FaceSubject | undefined;
}

/**
 * Throttles face attempts at a door without letting strangers lock employees out: failures slow the door down
 * with a capped delay over a sliding window that successes never reset; while a door is in a delay its attempts
 * run one at a time; a failing face that is close to recent failed probes counts against that face alone.
 * Also feeds the global impostor-rate alarm.
 */
export class KioskThrottleService {
  readonly alarm: ImpostorRateAlarm;
  private readonly now: () => Date;
  private readonly windows: FailureWindows;
  private readonly probes: FailedProbes;
  private readonly gate: ThrottleGate;

  constructor(private readonly deps: KioskThrottleDeps) {
    const windowMs = deps.options.windowSeconds * 1000;
    this.now = deps.now ?? (() => new Date());
    this.windows = deps.windows ?? new MemoryFailureWindows(windowMs);
    this.probes = deps.probes ?? new MemoryFailedProbes(windowMs);
    this.gate = deps.gate ?? new LocalThrottleGate();
    this.alarm = new ImpostorRateAlarm(deps.options.alarm, deps.alarmCounters);
  }

  /**
   * Runs one face attempt at a door (its API key and client address): refuses with `LOCKED_OUT` inside the
   * door's delay, serialises the door's attempts while it is in a delay, and counts the outcome.
   * `run` gets the check to call with the probe before matching.
   */
  async attempt<R extends { decision: Decision }>(
    door: readonly string[],
    context: AttemptContext,
    run: (beforeMatch: (probe: ProbeCheck) => Promise<void>) => Promise<R>,
  ): Promise<R> {
    const rules = await this.rules();
    await this.assertDoorFree(door, rules.door, context);
    if (!(await this.inDelay(door, rules.door))) return this.runCounted(door, context, rules, run);
    // Inside a delay the door takes one attempt at a time, each re-checked once it is its turn.
    return this.gate.run(door[0] ?? 'anonymous', async () => {
      await this.assertDoorFree(door, rules.door, context);
      return this.runCounted(door, context, rules, run);
    });
  }

  /** Alarm counts and state, for metrics. */
  alarmState(): Promise<ImpostorAlarmState> {
    return this.alarm.snapshot(this.now().getTime());
  }

  private async runCounted<R extends { decision: Decision }>(
    door: readonly string[],
    context: AttemptContext,
    rules: { door: DelayRule; face: DelayRule },
    run: (beforeMatch: (probe: ProbeCheck) => Promise<void>) => Promise<R>,
  ): Promise<R> {
    let probe: HeldProbe | undefined;
    const result = await run(async ({ embedding, threshold }) => {
      const face = await this.probes.match(embedding, threshold, this.now().getTime());
      probe = { embedding, face };
      if (face) await this.assertFree([faceSubject(face.faceId)], rules.face, context, 'face');
    });
    if (result.decision === 'no_match') await this.countFailure(door, probe, rules, context);
    if (result.decision === 'match' && probe?.face) await this.forgive(door, probe.face);
    if (result.decision !== 'retry') await this.feedAlarm(result.decision, context);
    return result;
  }

  /** A repeat of a recently failed face counts against that face; any other failure counts against the door. */
  private async countFailure(
    door: readonly string[],
    probe: HeldProbe | undefined,
    rules: { door: DelayRule; face: DelayRule },
    context: AttemptContext,
  ): Promise<void> {
    const at = this.now().getTime();
    const subjects = probe?.face ? [] : [...door];
    if (probe) {
      const faceId = await this.probes.remember(probe.embedding, probe.face?.faceId, at);
      subjects.push(faceSubject(faceId));
    }
    for (const subject of subjects) {
      await this.windows.add(subject, at);
      const rule = subject.startsWith('face:') ? rules.face : rules.door;
      const failures = (await this.windows.since(subject, this.windowStart())).length;
      const delay = delaySeconds(failures, rule);
      if (delay > 0) await this.auditDelay(subject, failures, delay, context);
    }
  }

  /**
   * An employee who failed and then matched was no stranger: the door takes back the failure their face caused.
   * Only a face the matcher itself calls theirs is forgiven, so a match never clears other people's failures.
   */
  private async forgive(door: readonly string[], face: FaceSubject): Promise<void> {
    for (const subject of door) await this.windows.remove(subject, face.firstFailedAt);
    await this.probes.forget(face.faceId);
  }

  private async feedAlarm(decision: 'match' | 'no_match', context: AttemptContext): Promise<void> {
    const due = await this.alarm.record(decision, this.now().getTime());
    if (!due) return;
    await this.deps.store.audit.append({
      action: 'security.impostor_alarm',
      outcome: 'alarm',
      reason: 'IMPOSTOR_RATE',
      actorType: 'system',
      actorId: 'kiosk-throttle',
      ip: context.ip,
      details: {
        noMatches: due.noMatches,
        decisions: due.decisions,
        ratio: Math.round(due.ratio * 1000) / 1000,
        rate: this.deps.options.alarm.rate,
        windowSeconds: this.deps.options.alarm.windowSeconds,
      },
    });
  }

  private async rules(): Promise<{ door: DelayRule; face: DelayRule }> {
    const limits = await this.deps.limits();
    const { maxDelaySeconds, windowSeconds } = this.deps.options;
    return {
      door: {
        threshold: limits.threshold,
        baseSeconds: Math.min(limits.baseDelaySeconds, maxDelaySeconds),
        maxSeconds: maxDelaySeconds,
      },
      // A face is the one person trying, so its delay may grow to the whole window.
      face: { threshold: limits.threshold, baseSeconds: limits.baseDelaySeconds, maxSeconds: windowSeconds },
    };
  }

  private windowStart(): number {
    return this.now().getTime() - this.deps.options.windowSeconds * 1000 + 1;
  }

  private async inDelay(door: readonly string[], rule: DelayRule): Promise<boolean> {
    for (const subject of door) {
      if ((await this.windows.since(subject, this.windowStart())).length >= rule.threshold) return true;
    }
    return false;
  }

  private assertDoorFree(door: readonly string[], rule: DelayRule, context: AttemptContext): Promise<void> {
    return this.assertFree(door, rule, context, 'door');
  }

  private async assertFree(
    subjects: readonly string[],
    rule: DelayRule,
    context: AttemptContext,
    kind: 'door' | 'face',
  ): Promise<void> {
    const now = this.now().getTime();
    let retryAfter = 0;
    for (const subject of subjects) {
      const times = await this.windows.since(subject, this.windowStart());
      retryAfter = Math.max(retryAfter, retryAfterSeconds(times, rule, now));
    }
    if (retryAfter === 0) return;
    await this.deps.store.audit.append({
      action: context.action,
      outcome: 'refused',
      reason: 'LOCKED_OUT',
      actorType: context.actor?.type ?? 'system',
      actorId: context.actor?.id ?? null,
      ip: context.ip,
      details: { retryAfterSeconds: retryAfter, subject: kind },
    });
    throw new FacegateError('LOCKED_OUT', 'Too many failed attempts; try again later', {
      retryAfterSeconds: retryAfter,
    });
  }

  private async auditDelay(
    subject: string,
    failures: number,
    delay: number,
    context: AttemptContext,
  ): Promise<void> {
    await this.deps.store.audit.append({
      action: 'lockout.delay',
      outcome: 'locked',
      reason: context.action,
      actorType: context.actor?.type ?? 'system',
      actorId: context.actor?.id ?? null,
      ip: context.ip,
      details: { subject, failuresInWindow: failures, delaySeconds: delay },
    });
  }
}
