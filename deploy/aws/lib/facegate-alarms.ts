import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DECISIONS_METRIC, METRIC_NAMESPACE } from '../../../src/aws/lambda/emf-metrics.js';

/** Settings of {@link FacegateAlarms}. */
export interface FacegateAlarmsProps {
  functions: lambda.IFunction[];
  api: apigw.HttpApi;
  /** Share of refused (`no_match`) authentications over 5 minutes that raises the impostor alarm. */
  impostorRate: number;
  /** E-mail told when an alarm fires. */
  alarmEmail?: string;
}

/** Alarms on function errors and throttles, API 5xx, and the impostor rate, into one SNS topic. */
export class FacegateAlarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: FacegateAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);
    const period = Duration.minutes(5);
    for (const fn of props.functions) {
      const name = fn.node.id;
      this.alarm(`${name}Errors`, fn.metricErrors({ period }), 1, notify);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period }), 1, notify);
    }
    this.alarm('Api5xx', props.api.metricServerError({ period }), 5, notify);
    this.alarm('ImpostorRate', this.impostorRate(period), props.impostorRate, notify);
  }

  /** `no_match` decisions over all authentication decisions, from the functions' `Decisions` metric. */
  private impostorRate(period: Duration): cloudwatch.MathExpression {
    const decisions = (outcome: string) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: DECISIONS_METRIC,
        dimensionsMap: { outcome },
        statistic: 'Sum',
        period,
      });
    return new cloudwatch.MathExpression({
      expression: 'IF(m + n >= 20, n / (m + n), 0)',
      usingMetrics: { m: decisions('match'), n: decisions('no_match') },
      label: 'impostor rate (no_match share, at least 20 decisions)',
      period,
    });
  }

  private alarm(id: string, metric: cloudwatch.IMetric, threshold: number, notify: actions.SnsAction): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(notify);
  }
}
