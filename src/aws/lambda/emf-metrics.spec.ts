import { describe, expect, it } from 'vitest';
import { DECISIONS_METRIC, decisionMetricLine, METRIC_NAMESPACE } from './emf-metrics.js';

describe('embedded metric format', () => {
  it('counts one decision under Facegate/Decisions with its outcome as the dimension', () => {
    const line = JSON.parse(decisionMetricLine('no_match', new Date('2026-11-29T12:00:00Z')));
    expect(line).toEqual({
      _aws: {
        Timestamp: Date.parse('2026-11-29T12:00:00Z'),
        CloudWatchMetrics: [
          {
            Namespace: 'Facegate',
            Dimensions: [['outcome']],
            Metrics: [{ Name: 'Decisions', Unit: 'Count' }],
          },
        ],
      },
      outcome: 'no_match',
      Decisions: 1,
    });
    expect([METRIC_NAMESPACE, DECISIONS_METRIC]).toEqual(['Facegate', 'Decisions']);
  });
});
