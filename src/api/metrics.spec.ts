import { describe, expect, it } from 'vitest';
import type { MatchResult } from '../services/identification.service.js';
import { ApiMetrics } from './metrics.js';

function match(): MatchResult {
  return {
    decision: 'match',
    score: 0.7,
    threshold: 0.5,
    preset: 'balanced',
    margin: 0.05,
    secondBest: null,
    engine: { model: 'test', version: '1' },
    timings: { total: 12 },
  };
}

/** The value of one sample of `name` with exactly these labels (0 when absent). */
async function sample(metrics: ApiMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([key, value]) => v.labels[key] === value),
  );
  return found?.value ?? 0;
}

const decisions = 'facegate_decisions_total';

describe('face decision metrics with a second factor', () => {
  it('counts a face match alone as a match', async () => {
    const metrics = new ApiMetrics();
    metrics.observeDecision('authenticate', match());
    expect(await sample(metrics, decisions, { action: 'authenticate', decision: 'match' })).toBe(1);
  });

  it('counts a match that needs a second factor as second_factor_required, not as a match', async () => {
    const metrics = new ApiMetrics();
    metrics.observeDecision('authenticate', match(), true);
    expect(await sample(metrics, decisions, { action: 'authenticate', decision: 'match' })).toBe(0);
    expect(
      await sample(metrics, decisions, { action: 'authenticate', decision: 'second_factor_required' }),
    ).toBe(1);
  });

  it('counts the completed step as the match of its face login, a refused one only as a step outcome', async () => {
    const metrics = new ApiMetrics();
    metrics.observeDecision('verify', match(), true);
    metrics.observeSecondFactor({ code: 'SECOND_FACTOR_FAILED' });
    expect(await sample(metrics, decisions, { action: 'verify', decision: 'match' })).toBe(0);
    metrics.observeSecondFactor({ action: 'verify' });
    expect(await sample(metrics, decisions, { action: 'verify', decision: 'match' })).toBe(1);
    const steps = 'facegate_second_factor_steps_total';
    expect(await sample(metrics, steps, { outcome: 'second_factor_failed' })).toBe(1);
    expect(await sample(metrics, steps, { outcome: 'match' })).toBe(1);
  });
});
