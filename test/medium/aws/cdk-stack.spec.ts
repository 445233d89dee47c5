import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_LIVENESS_ACTIONS,
  API_REKOGNITION_ACTIONS,
  STATE_TABLE_ACTIONS,
  STORAGE_REKOGNITION_ACTIONS,
  STREAMING_ACTIONS,
  TABLE_ACTIONS,
} from '../../../deploy/aws/lib/facegate-functions.js';
import { FacegateStack } from '../../../deploy/aws/lib/facegate-stack.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let stack: FacegateStack;
let template: Template;
let resources: Resources;

/** The actions of every policy attached to a role, sorted. */
function roleActions(role: iam.IRole): string[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnElement);
  const actions = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = resource.Properties.Roles as Array<{ Ref: string }>;
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const document = resource.Properties.PolicyDocument as {
      Statement: Array<{ Action: string | string[] }>;
    };
    for (const statement of document.Statement) {
      for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return [...actions].sort();
}

/** The statements of every policy attached to a role. */
function policyStatements(
  role: iam.IRole,
): Array<{ Effect: string; Action: string | string[]; Resource: unknown }> {
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnElement);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId))
    .flatMap(
      (r) =>
        (
          r.Properties.PolicyDocument as {
            Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    );
}

function ofType(type: string): Array<[string, Resources[string]]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The logical id of a construct's CloudFormation resource. */
function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The statements of a role that name a table (its ARN, or its indexes). */
function tableStatements(role: iam.IRole, table: { node: { defaultChild?: unknown } }) {
  const id = logicalId(table);
  return policyStatements(role).filter((st) => JSON.stringify(st.Resource).includes(`"${id}"`));
}

/** A function's environment variables. */
function envOf(fn: typeof stack.functions.api): Record<string, unknown> {
  return (resources[logicalId(fn)]!.Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;
}

beforeAll(() => {
  // No esbuild run for the assertions: the bundling test below synthesizes on its own.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new FacegateStack(app, 'Test', { removalPolicy: RemovalPolicy.RETAIN, webAssets: '/nonexistent' });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

describe('CDK stack: buckets', () => {
  it('every bucket blocks public access, is encrypted and refuses requests without TLS', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBe(3);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      const policies = ofType('AWS::S3::BucketPolicy').filter(
        ([, p]) => (p.Properties.Bucket as { Ref: string }).Ref === id,
      );
      expect(policies, id).toHaveLength(1);
      const statements = (policies[0]![1].Properties.PolicyDocument as { Statement: unknown[] }).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('the validation bucket expires objects after one day; the storage bucket is versioned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ ExpirationInDays: 1, Status: 'Enabled' })],
      },
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['PUT'] })] },
    });
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
  });
});

describe('CDK stack: data', () => {
  it('the table has PITR, TTL, the GSI and on-demand billing', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'gsi1' })],
    });
  });

  it('the shared-state table: TTL, on-demand, encrypted, retained like the main table, no PITR and no index', () => {
    const state = resources[logicalId(stack.data.stateTable)] as Resources[string] & {
      DeletionPolicy?: string;
    };
    expect(state.Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    expect(state.Properties.PointInTimeRecoverySpecification).toBeUndefined();
    expect(state.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(state.DeletionPolicy).toBe('Retain');
    expect(logicalId(stack.data.stateTable)).not.toBe(logicalId(stack.data.table));
  });

  it('creates the Rekognition collection through a custom resource allowed only that', () => {
    const [, collection] = ofType('Custom::AWS')[0]!;
    expect(JSON.stringify(collection.Properties.Create)).toContain('createCollection');
    expect(JSON.stringify(collection.Properties.Create)).toContain('facegate-employees');
  });
});

describe('CDK stack: functions', () => {
  it('both run Node.js 22 on arm64', () => {
    const ours = ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Handler === 'index.handler');
    expect(ours.length).toBeGreaterThanOrEqual(2);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 29,
      Environment: {
        Variables: Match.objectLike({ FACEGATE_ENGINE: 'rekognition', FACEGATE_STORE: 'dynamodb' }),
      },
    });
  });

  it('the API function policy lists exactly the actions it calls', () => {
    expect(roleActions(stack.functions.api.role!)).toEqual(
      [
        ...new Set([
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          ...TABLE_ACTIONS,
          ...STATE_TABLE_ACTIONS,
          ...API_REKOGNITION_ACTIONS,
          ...API_LIVENESS_ACTIONS,
          'sts:AssumeRole',
          'secretsmanager:GetSecretValue',
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:ListBucket',
        ]),
      ].sort(),
    );
  });

  it('the API function: the store table with the store actions, the state table alone with the state actions', () => {
    const role = stack.functions.api.role!;
    const table = logicalId(stack.data.table);
    const state = logicalId(stack.data.stateTable);
    expect(tableStatements(role, stack.data.table)).toEqual([
      expect.objectContaining({
        Action: TABLE_ACTIONS,
        Resource: [
          { 'Fn::GetAtt': [table, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/*']] },
        ],
      }),
    ]);
    expect(tableStatements(role, stack.data.stateTable)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: STATE_TABLE_ACTIONS,
        Resource: { 'Fn::GetAtt': [state, 'Arn'] },
      }),
    ]);
    // The store's table is never granted in-place updates: its audit items are append-only.
    expect(TABLE_ACTIONS).not.toContain('dynamodb:UpdateItem');
    expect(envOf(stack.functions.api)).toMatchObject({
      FACEGATE_SHARED_STATE: 'dynamodb',
      FACEGATE_SHARED_STATE_TABLE: { Ref: state },
    });
  });

  it('the storage function policy lists exactly the actions it calls, with no wildcard', () => {
    const actions = roleActions(stack.functions.storage.role!);
    expect(actions).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        ...TABLE_ACTIONS,
        ...STORAGE_REKOGNITION_ACTIONS,
        'secretsmanager:GetSecretValue',
        's3:GetObject',
        's3:DeleteObject',
        's3:PutObject',
      ].sort(),
    );
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const storageRole = stack.getLogicalId(stack.functions.storage.role!.node.defaultChild as CfnElement);
    expect(resources[storageRole]?.Properties.ManagedPolicyArns).toBeUndefined();
    // Enrolment uses no shared state: no state table in its environment or its policy.
    expect(tableStatements(stack.functions.storage.role!, stack.data.stateTable)).toEqual([]);
    expect(envOf(stack.functions.storage).FACEGATE_SHARED_STATE).toBeUndefined();
    expect(envOf(stack.functions.storage).FACEGATE_SHARED_STATE_TABLE).toBeUndefined();
  });

  it('Face Liveness: the API function creates and reads sessions and may assume only the streaming role', () => {
    const streaming = stack.functions.streamingRole!;
    const streamingId = stack.getLogicalId(streaming.node.defaultChild as CfnElement);
    const apiRoleId = stack.getLogicalId(stack.functions.api.role!.node.defaultChild as CfnElement);
    const statements = policyStatements(stack.functions.api.role!);
    expect(statements.filter((st) => [st.Action].flat().some((a) => a.includes('FaceLiveness')))).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: API_LIVENESS_ACTIONS, Resource: '*' }),
    ]);
    expect(statements.filter((st) => [st.Action].flat().includes('sts:AssumeRole'))).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: { 'Fn::GetAtt': [streamingId, 'Arn'] } }),
    ]);
    // The streaming role: assumable by the API function's role alone, allowed only to start a liveness stream.
    expect(roleActions(streaming)).toEqual(STREAMING_ACTIONS);
    expect(resources[streamingId]?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: { 'Fn::GetAtt': [apiRoleId, 'Arn'] } },
        },
      ],
    });
    expect(resources[streamingId]?.Properties.ManagedPolicyArns).toBeUndefined();
    // Only the API function selects the provider; the storage function never issues a challenge.
    const env = (fn: typeof stack.functions.api) =>
      (
        resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)]!.Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
    expect(env(stack.functions.api)).toMatchObject({
      FACEGATE_LIVENESS_PROVIDER: 'rekognition',
      FACEGATE_LIVENESS_STREAMING_ROLE_ARN: { 'Fn::GetAtt': [streamingId, 'Arn'] },
    });
    expect(env(stack.functions.storage).FACEGATE_LIVENESS_PROVIDER).toBeUndefined();
    expect(
      roleActions(stack.functions.storage.role!).some((a) => a.includes('Liveness') || a.startsWith('sts:')),
    ).toBe(false);
  });

  it('without Face Liveness (livenessProvider none) there is no streaming role and no liveness action', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const plain = new FacegateStack(app, 'Plain', { livenessProvider: 'none', webAssets: '/nonexistent' });
    const plainResources = Template.fromStack(plain).toJSON().Resources as Resources;
    const json = JSON.stringify(plainResources);
    expect(plain.functions.streamingRole).toBeUndefined();
    expect(json).not.toContain('FaceLiveness');
    expect(json).not.toContain('FACEGATE_LIVENESS_PROVIDER');
    const policies = Object.values(plainResources).filter((r) => r.Type === 'AWS::IAM::Policy');
    expect(JSON.stringify(policies)).not.toContain('sts:AssumeRole');
  });

  it('the storage function is notified of objects created under incoming/', () => {
    const [, notifications] = ofType('Custom::S3BucketNotifications')[0]!;
    expect(JSON.stringify(notifications.Properties.NotificationConfiguration)).toContain(
      '"Value":"incoming/"',
    );
  });
});

describe('CDK stack: edge and alarms', () => {
  it('CloudFront serves the UI bucket through OAC and routes /v1/* to the HTTP API uncached', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [, distribution] = ofType('AWS::CloudFront::Distribution')[0]!;
    const config = distribution.Properties.DistributionConfig as {
      Origins: Array<{
        Id: string;
        OriginAccessControlId?: unknown;
        S3OriginConfig?: unknown;
        CustomOriginConfig?: unknown;
      }>;
      DefaultCacheBehavior: { TargetOriginId: string; ViewerProtocolPolicy: string };
      CacheBehaviors: Array<{ PathPattern: string; TargetOriginId: string; AllowedMethods: string[] }>;
    };
    const s3Origin = config.Origins.find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId)!;
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const api = config.CacheBehaviors.find((b) => b.PathPattern === '/v1/*')!;
    expect(api.AllowedMethods).toContain('POST');
    expect(config.Origins.find((o) => o.Id === api.TargetOriginId)?.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
    });
    const uiBucket = stack.getLogicalId(stack.edge.uiBucket.node.defaultChild as CfnElement);
    const [, uiPolicy] = ofType('AWS::S3::BucketPolicy').find(
      ([, p]) => (p.Properties.Bucket as { Ref: string }).Ref === uiBucket,
    )!;
    expect(JSON.stringify(uiPolicy.Properties.PolicyDocument)).toContain('cloudfront.amazonaws.com');
  });

  it('the pages get the server CSP from a response headers policy', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("default-src 'none'"),
            Override: false,
          },
        }),
      },
    });
  });

  it('the HTTP API default stage is throttled', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('alarms on errors and throttles of both functions, API 5xx and the impostor rate', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.3,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(m + n >= 20, n / (m + n), 0)' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'n',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'Facegate',
              MetricName: 'Decisions',
              Dimensions: [{ Name: 'outcome', Value: 'no_match' }],
            },
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Namespace: 'AWS/Lambda',
    });
  });
});

describe('CDK stack: bundles', () => {
  it('bundles each function with esbuild, offline and without Docker, with no face model and no AWS SDK inside', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'facegate-cdk-'));
    try {
      const app = new App({ outdir });
      new FacegateStack(app, 'Bundled', { webAssets: '/nonexistent' });
      app.synth();
      const bundles = readdirSync(outdir)
        .filter((d) => d.startsWith('asset.'))
        .filter((d) => readdirSync(join(outdir, d)).includes('index.mjs'));
      expect(bundles).toHaveLength(2);
      for (const dir of bundles) {
        expect(readdirSync(join(outdir, dir)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
        expect(statSync(join(outdir, dir, 'index.mjs')).size).toBeLessThan(5_000_000);
        // Every module-level import must resolve on Lambda: only Node built-ins and the runtime's AWS SDK.
        const code = readFileSync(join(outdir, dir, 'index.mjs'), 'utf8');
        const statement =
          /(?:^|[;\n])import\s*(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)?\s*(?:from\s*)?"([^"]+)"/g;
        const imported = [...code.matchAll(statement)].map((m) => m[1]);
        expect(imported.filter((name) => !/^(node:|@aws-sdk\/)/.test(name ?? ''))).toEqual([]);
        // Passwords are hashed by the WebAssembly Argon2id bundled inside (the native one is a stub there).
        const map = JSON.parse(readFileSync(join(outdir, dir, 'index.mjs.map'), 'utf8')) as {
          sources: string[];
        };
        expect(map.sources.some((source) => source.includes('node_modules/hash-wasm/'))).toBe(true);
        // The AWS SDK (the Secrets Manager client, a devDependency here, included) comes from the runtime.
        expect(map.sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
