import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { Employee } from '../domain/models.js';
import type { FaceAnalysis, StageTimings } from '../engine/face-engine.port.js';
import { isEligible, resolveEmployee } from './employee.service.js';
import { type EmployeeRef, type PhotoReason, toEmployeeRef } from './enrollment.service.js';
import type { MatchProbe } from './face-matcher.port.js';
import { currentThreshold, type MatchMode, roundScore } from './match-settings.js';
import { ServiceBase } from './service-context.js';

/** Outcome of a 1:N identification or a 1:1 verification. */
export type Decision = 'match' | 'no_match' | 'retry';

/** Result of identify/verify. Scores and reasons are for admins and logs; the API filters what kiosks see. */
export interface MatchResult {
  decision: Decision;
  /** The matched employee (only when decision is `match`). */
  employee?: EmployeeRef;
  /** Employee the decision concerns, for lockout accounting: the match, or the claimed employee of a verify. */
  subjectEmployeeId?: string;
  /** Best similarity (null when no face could be compared). */
  score: number | null;
  threshold: number;
  preset: string;
  /** Required gap between best and second-best employee (1:N only; 0 for 1:1). */
  margin: number;
  /** Second-best employee's score (1:N only). */
  secondBest: number | null;
  engine: { model: string; version: string };
  timings: StageTimings & { match?: number; total: number };
  /** Why not a match: quality codes for `retry`, `NO_MATCH`, `AMBIGUOUS_MATCH`, `EMPLOYEE_SUSPENDED`... */
  reasons?: PhotoReason[];
}

/** Options of a decision. */
export interface DecisionOptions {
  clientIp?: string;
  /** Audit action name; the API's `/authenticate` passes `authenticate`. */
  auditAction?: string;
  /** Sees the probe before the gallery is searched (kiosk throttle); throwing refuses the attempt unmatched. */
  beforeMatch?: (probe: { embedding: Float32Array; threshold: number }) => Promise<void>;
  /** The photo's analysis when it was already made (the best frame of a liveness answer): not analysed again. */
  analysis?: FaceAnalysis;
}

/** What every result of a decision starts from. */
type RetryBase = Pick<MatchResult, 'threshold' | 'preset' | 'margin' | 'secondBest' | 'score'>;

/** 1:N identification and 1:1 verification through the face matcher; every decision is audited. */
export class IdentificationService extends ServiceBase {
  /** Who is this? Best employee above the threshold and ahead of the runner-up by the margin, else no match. */
  async identify(photo: Uint8Array, actor: Actor, options: DecisionOptions = {}): Promise<MatchResult> {
    await this.policy.authorize(actor, 'faces:identify');
    const started = performance.now();
    const { preset, threshold } = await this.threshold('identify');
    const margin = this.config.match.margin;
    const base = { threshold, preset, margin, secondBest: null, score: null };
    const analysed = await this.analyse(photo, actor, options, started, base, 'identify');
    if ('decision' in analysed) return analysed;
    if (analysed.embedding) await options.beforeMatch?.({ embedding: analysed.embedding, threshold });

    const t0 = performance.now();
    const verdict = await this.matcher.identify(analysed, { threshold, margin });
    if ('retry' in verdict) return this.retry(verdict.retry, base, actor, options, started, 'identify');
    const { best, secondBest } = verdict;
    const matchMs = performance.now() - t0;
    const result: MatchResult = {
      ...base,
      decision: 'no_match',
      score: best ? roundScore(best.score) : null,
      secondBest: secondBest ? roundScore(secondBest.score) : null,
      engine: this.engineRef(),
      timings: { ...analysed.timings, match: ms(matchMs), total: 0 },
    };
    if (verdict.decision === 'no_match' || !best) {
      // AMBIGUOUS: a second employee (or a suspended look-alike) scores within the margin of the best one.
      result.reasons = [
        verdict.reason === 'AMBIGUOUS'
          ? { code: 'AMBIGUOUS_MATCH', message: 'Another enrolled person matches this face too closely' }
          : { code: 'NO_MATCH', message: 'No enrolled employee matches this face' },
      ];
    } else {
      const employee = await this.store.employees.get(best.employeeId);
      const refusal = this.refusal(employee);
      if (refusal || !employee) {
        // The gallery was out of step with the store: fix it, and never match.
        if (employee) this.matcher.setEligible(employee.id, false);
        else await this.matcher.removeEmployee(best.employeeId);
        result.reasons = [refusal ?? { code: 'NO_MATCH', message: 'No enrolled employee matches this face' }];
      } else {
        result.decision = 'match';
        result.employee = toEmployeeRef(employee);
        result.subjectEmployeeId = employee.id;
      }
    }
    return this.finish(result, actor, options, started, options.auditAction ?? 'identify');
  }

  /** Is this the claimed employee (id or badge)? Unknown, suspended or locked employees never match. */
  async verify(
    idOrBadge: string,
    photo: Uint8Array,
    actor: Actor,
    options: DecisionOptions = {},
  ): Promise<MatchResult> {
    await this.policy.authorize(actor, 'faces:verify');
    const started = performance.now();
    const { preset, threshold } = await this.threshold('verify');
    const base = { threshold, preset, margin: 0, secondBest: null, score: null };
    const action = options.auditAction ?? 'verify';
    let employee: Employee | undefined;
    try {
      employee = await resolveEmployee(this.store, idOrBadge);
    } catch (error) {
      if (!isFacegateError(error, 'NOT_FOUND')) throw error;
    }
    const analysed = await this.analyse(photo, actor, options, started, base, action, employee?.id);
    if ('decision' in analysed) return analysed;

    const result: MatchResult = {
      ...base,
      decision: 'no_match',
      subjectEmployeeId: employee?.id,
      engine: this.engineRef(),
      timings: { ...analysed.timings, total: 0 },
    };
    if (!employee) {
      result.reasons = [{ code: 'NOT_FOUND', message: 'No such employee' }];
      return this.finish(result, actor, options, started, action);
    }
    const t0 = performance.now();
    const verdict = await this.matcher.verify(employee.id, analysed, threshold);
    if ('retry' in verdict) {
      return this.retry(verdict.retry, base, actor, options, started, action, employee.id);
    }
    const score = verdict.score;
    result.timings.match = ms(performance.now() - t0);
    result.score = score === null ? null : roundScore(score);
    const refusal = this.refusal(employee);
    if (refusal) result.reasons = [refusal];
    else if (score === null)
      result.reasons = [{ code: 'NO_TEMPLATES', message: 'Employee has no enrolled face' }];
    else if (score < threshold)
      result.reasons = [{ code: 'NO_MATCH', message: 'Face does not match the employee' }];
    else {
      result.decision = 'match';
      result.employee = toEmployeeRef(employee);
    }
    return this.finish(result, actor, options, started, action);
  }

  private refusal(employee: Employee | undefined): PhotoReason | undefined {
    if (!employee || isEligible(employee)) return undefined;
    return employee.status !== 'active'
      ? { code: 'EMPLOYEE_SUSPENDED', message: 'Employee is suspended' }
      : { code: 'LOCKED_OUT', message: 'Face login is locked for this employee' };
  }

  /** Runs the matcher's quality gate; returns a finished `retry` result when the face is unusable. */
  private async analyse(
    photo: Uint8Array,
    actor: Actor,
    options: DecisionOptions,
    started: number,
    base: RetryBase,
    action: string,
    employeeId?: string,
  ): Promise<MatchProbe | MatchResult> {
    let probe: MatchProbe;
    try {
      probe = await this.matcher.probe(photo, options.analysis);
    } catch (error) {
      if (isFacegateError(error, 'NO_FACE')) {
        const reasons = [{ code: 'NO_FACE', message: error.message }];
        return this.retry(reasons, base, actor, options, started, action, employeeId);
      }
      await this.auditError(error, actor, options, started, action, employeeId);
      throw error;
    }
    if (probe.issues.length > 0) {
      const reasons = probe.issues.map((i) => ({
        ...i,
        ...(i.value !== undefined ? { value: roundScore(i.value) } : {}),
      }));
      return this.retry(reasons, base, actor, options, started, action, employeeId, probe.timings);
    }
    if (probe.analysis && probe.analysis.engineInfo.model !== this.matcher.info.model) {
      throw new FacegateError('MODEL_MISMATCH', 'Engine returned an embedding of an unexpected model');
    }
    return probe;
  }

  /** A finished, audited `retry` result: the face could not be used (quality, no face). */
  private retry(
    reasons: PhotoReason[],
    base: RetryBase,
    actor: Actor,
    options: DecisionOptions,
    started: number,
    action: string,
    employeeId?: string,
    timings: StageTimings = {},
  ): Promise<MatchResult> {
    const retry: MatchResult = {
      ...base,
      decision: 'retry',
      subjectEmployeeId: employeeId,
      engine: this.engineRef(),
      timings: { ...timings, total: 0 },
      reasons,
    };
    return this.finish(retry, actor, options, started, action);
  }

  private async finish(
    result: MatchResult,
    actor: Actor,
    options: DecisionOptions,
    started: number,
    action: string,
  ): Promise<MatchResult> {
    result.timings.total = ms(performance.now() - started);
    await this.store.audit.append({
      action,
      outcome: result.decision,
      reason: result.reasons?.[0]?.code ?? null,
      actorType: actor.type,
      actorId: actor.id,
      employeeId: result.subjectEmployeeId ?? null,
      score: result.score,
      threshold: roundScore(result.threshold),
      engine: `${result.engine.model}@${result.engine.version}`,
      ip: options.clientIp ?? null,
      durationMs: Math.round(result.timings.total),
      at: this.clock.now().toISOString(),
      details: {
        preset: result.preset,
        ...(result.secondBest !== null ? { secondBest: result.secondBest } : {}),
        ...(result.reasons && result.reasons.length > 1
          ? { reasons: result.reasons.map((r) => r.code) }
          : {}),
      },
    });
    return result;
  }

  private async auditError(
    error: unknown,
    actor: Actor,
    options: DecisionOptions,
    started: number,
    action: string,
    employeeId?: string,
  ): Promise<void> {
    await this.store.audit.append({
      action,
      outcome: 'error',
      reason: isFacegateError(error) ? error.code : 'INTERNAL',
      actorType: actor.type,
      actorId: actor.id,
      employeeId: employeeId ?? null,
      engine: `${this.matcher.info.model}@${this.matcher.info.version}`,
      ip: options.clientIp ?? null,
      durationMs: Math.round(performance.now() - started),
      at: this.clock.now().toISOString(),
    });
  }

  private threshold(mode: MatchMode) {
    return currentThreshold(this.store, this.config, this.matcher.info.model, this.thresholds, mode);
  }

  private engineRef(): { model: string; version: string } {
    return { model: this.matcher.info.model, version: this.matcher.info.version };
  }
}

function ms(n: number): number {
  return Math.round(n * 100) / 100;
}
