/** CloudWatch namespace of facegate's own metrics on AWS (the stack's alarms read it). */
export const METRIC_NAMESPACE = 'Facegate';

/** Name of the per-decision counter; its `outcome` dimension is `match` or `no_match` (the impostor-rate alarm). */
export const DECISIONS_METRIC = 'Decisions';

/**
 * One log line in CloudWatch embedded metric format counting one authentication decision. Lambda ships it with
 * the function's logs and CloudWatch turns it into the `Facegate/Decisions` metric: no PutMetricData permission
 * and no extra call on the request path.
 */
export function decisionMetricLine(outcome: string, at: Date = new Date()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['outcome']],
          Metrics: [{ Name: DECISIONS_METRIC, Unit: 'Count' }],
        },
      ],
    },
    outcome,
    [DECISIONS_METRIC]: 1,
  });
}
