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
  watchImpostorAlarm(source: { alarmState(): ImpostorAlarmState }): void {
    const gauge = (name: string, help: string, read: (s: ImpostorAlarmState) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(source.alarmState()));
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

  /** Records a face decision and its engine timings. */
  observeDecision(action: 'authenticate' | 'verify', result: MatchResult): void {
    this.decisions.inc({ action, decision: result.decision });
    this.onDecision?.(result.decision);
    for (const [stage, ms] of Object.entries(result.timings)) {
      if (typeof ms === 'number') this.stages.observe({ stage }, ms / 1000);
    }
  }

  /** Records a refusal before any decision (lockout, overload). */
  observeRefusal(action: 'authenticate' | 'verify', code: string): void {
    this.decisions.inc({ action, decision: code.toLowerCase() });
  }
}
