import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FacegateAlarms } from './facegate-alarms.js';
import { FacegateData } from './facegate-data.js';
import { FacegateEdge } from './facegate-edge.js';
import { FacegateFunctions } from './facegate-functions.js';

/** Settings of {@link FacegateStack}, all with defaults (see `cdk.json` context). */
export interface FacegateStackProps extends StackProps {
  collectionId?: string;
  uploadOrigins?: string[];
  rateLimit?: number;
  burstLimit?: number;
  impostorRate?: number;
  alarmEmail?: string;
  /** DESTROY for throw-away stacks; RETAIN (default) keeps the data when the stack is deleted. */
  removalPolicy?: RemovalPolicy;
  webAssets?: string;
  /** Liveness of face login: `rekognition` (Face Liveness sessions, the default) or `none`. */
  livenessProvider?: 'rekognition' | 'none';
  /** Least Face Liveness confidence (0–100) that passes; the server's default (80) when unset. */
  livenessMinConfidence?: number;
}

/**
 * facegate serverless: S3 storage → storage function → Rekognition + DynamoDB; CloudFront → UI bucket and
 * `/v1/*` → HTTP API → API function; alarms into SNS.
 */
export class FacegateStack extends Stack {
  readonly data: FacegateData;
  readonly functions: FacegateFunctions;
  readonly edge: FacegateEdge;

  constructor(scope: Construct, id: string, props: FacegateStackProps = {}) {
    super(scope, id, props);
    this.data = new FacegateData(this, 'Data', {
      collectionId: props.collectionId ?? 'facegate-employees',
      uploadOrigins: props.uploadOrigins ?? [],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.functions = new FacegateFunctions(this, 'Functions', {
      data: this.data,
      livenessProvider: props.livenessProvider ?? 'rekognition',
      ...(props.livenessMinConfidence === undefined
        ? {}
        : { livenessMinConfidence: props.livenessMinConfidence }),
    });
    this.edge = new FacegateEdge(this, 'Edge', {
      api: this.functions.api,
      rateLimit: props.rateLimit ?? 50,
      burstLimit: props.burstLimit ?? 100,
      webAssets: props.webAssets,
    });
    new FacegateAlarms(this, 'Alarms', {
      functions: [this.functions.api, this.functions.storage],
      api: this.edge.httpApi,
      impostorRate: props.impostorRate ?? 0.3,
      alarmEmail: props.alarmEmail,
    });
    const outputs: Record<string, string> = {
      Url: `https://${this.edge.distribution.distributionDomainName}`,
      ApiEndpoint: this.edge.httpApi.apiEndpoint,
      StorageBucket: this.data.storageBucket.bucketName,
      ValidationBucket: this.data.validationBucket.bucketName,
      UiBucket: this.edge.uiBucket.bucketName,
      Table: this.data.table.tableName,
      StateTable: this.data.stateTable.tableName,
      Collection: this.data.collectionId,
      SecretArn: this.data.secret.secretArn,
    };
    if (this.functions.streamingRole) outputs.LivenessStreamingRole = this.functions.streamingRole.roleArn;
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
