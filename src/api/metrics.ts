import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ImpostorAlarmState } from '../auth/impostor-alarm.js';
import type { MatchResult } from '../services/identification.service.js';

/** Prometheus metrics of one server (own registry, so several servers can live in one process). */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'facegate_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'facegate_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4],
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'facegate_decisions_total',
    help: 'Face decisions by action and outcome',
    labelNames: ['action', 'decision'] as const,
    registers: [this.registry],
  });
  private readonly secondFactorSteps = new Counter({
    name: 'facegate_second_factor_steps_total',
    help: 'Second-factor steps of face login by outcome (match, or the refusal code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly stages = new Histogram({
    name: 'facegate_engine_stage_seconds',
    help: 'Engine pipeline timings per stage',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
    registers: [this.registry],
  });

  /** @param onDecision told the outcome of every decision (`match`, `no_match`, `retry`), e.g. to export it. */
  constructor(private readonly onDecision?: (outcome: string) => void) {
    collectDefaultMetrics({ register: this.registry, prefix: 'facegate_' });
  }

  /**
   * Exposes the global impostor-rate alarm: `facegate_impostor_alarm` (1 while the share of `no_match` is above
   * the set rate), the share itself, and the number of alarms raised (at most one per window).
   */
  watchImpostorAlarm(source: { alarmState(): Promise<ImpostorAlarmState> }): void {
    const gauge = (name: string, help: string, read: (s: ImpostorAlarmState) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          // Shared state out of reach: the gauge keeps its last value rather than failing the whole scrape.
          const state = await source.alarmState().catch(() => undefined);
          if (state) this.set(read(state));
        },
      });
    gauge(
      'facegate_impostor_alarm',
      '1 while the share of no_match across all kiosks is above the alarm rate',
      (s) => (s.active ? 1 : 0),
    );
    gauge(
      'facegate_impostor_no_match_ratio',
      'Share of no_match among face decisions in the alarm window',
      (s) => s.ratio,
    );
    gauge(
      'facegate_impostor_decisions',
      'Face decisions (match and no_match) in the alarm window',
      (s) => s.decisions,
    );
    gauge(
      'facegate_impostor_alarms_raised',
      'Impostor-rate alarms raised since start (one per window at most)',
      (s) => s.raised,
    );
  }

  /** Counts every request with its route pattern (never the raw URL, which holds ids). */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.requests.inc({ method, route, status: String(reply.statusCode) });
      this.latency.observe({ method, route }, reply.elapsedTime / 1000);
    });
  }

  /**
   * Records a face decision and its engine timings. A match that still needs a second factor is counted as
   * `second_factor_required`, not as a match: the completed step counts the match ({@link observeSecondFactor}).
   */
  observeDecision(
    action: 'authenticate' | 'verify',
    result: MatchResult,
    secondFactorRequired = false,
  ): void {
    const decision = secondFactorRequired ? 'second_factor_required' : result.decision;
    this.decisions.inc({ action, decision });
    this.onDecision?.(decision);
    for (const [stage, ms] of Object.entries(result.timings)) {
      if (typeof ms === 'number') this.stages.observe({ stage }, ms / 1000);
    }
  }

  /**
   * Records the end of a second-factor step: a completed one is the face login's `match` decision; a refused
   * one counts under its error code only (the face decision was already counted as `second_factor_required`).
   */
  observeSecondFactor(outcome: { action: 'authenticate' | 'verify' } | { code: string }): void {
    if ('action' in outcome) {
      this.decisions.inc({ action: outcome.action, decision: 'match' });
      this.secondFactorSteps.inc({ outcome: 'match' });
    } else this.secondFactorSteps.inc({ outcome: outcome.code.toLowerCase() });
  }

  /** Records a refusal before any decision (lockout, overload). */
  observeRefusal(action: 'authenticate' | 'verify', code: string): void {
    this.decisions.inc({ action, decision: code.toLowerCase() });
  }
}
