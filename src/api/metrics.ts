import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'facegate_' });
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
    for (const [stage, ms] of Object.entries(result.timings)) {
      if (typeof ms === 'number') this.stages.observe({ stage }, ms / 1000);
    }
  }

  /** Records a refusal before any decision (lockout, overload). */
  observeRefusal(action: 'authenticate' | 'verify', code: string): void {
    this.decisions.inc({ action, decision: code.toLowerCase() });
  }
}
