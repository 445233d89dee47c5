import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SHARED_STATE_KEYS } from '../../../src/shared-state/dynamodb-state-table.js';
import { DYNAMO_KEYS } from '../../../src/store/dynamodb/dynamodb-table.js';

/** Settings of {@link FacegateData}. */
export interface FacegateDataProps {
  collectionId: string;
  /** Origins allowed to PUT into the validation bucket (the site's https://domain); `*` when not set. */
  uploadOrigins: string[];
  /** RETAIN (default) keeps buckets, table and collection when the stack is deleted. */
  removalPolicy: RemovalPolicy;
}

/** A private bucket: public access blocked, S3-managed encryption, TLS only, owner-enforced objects. */
export function privateBucket(scope: Construct, id: string, props: Partial<s3.BucketProps> = {}): s3.Bucket {
  return new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ...props,
  });
}

/** Where facegate keeps state on AWS: buckets, the table, the Rekognition collection and the secrets. */
export class FacegateData extends Construct {
  /** Photos dropped for enrolment (`incoming/`), refused ones (`rejected/`) and kept photos (`blobs/`). */
  readonly storageBucket: s3.Bucket;
  /** Probe photos of the presigned-upload flow (`probes/`), deleted after a day. */
  readonly validationBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  /** What every API function instance must see alike: challenges, rate limits, the kiosk throttle's windows. */
  readonly stateTable: dynamodb.Table;
  readonly collectionId: string;
  readonly collectionArn: string;
  /** `FACEGATE_DATA_KEY` and `FACEGATE_TOKEN_SIGNING_KEY`, as JSON keys `dataKey` and `tokenSigningKey`. */
  readonly secret: secrets.Secret;

  constructor(scope: Construct, id: string, props: FacegateDataProps) {
    super(scope, id);
    this.storageBucket = privateBucket(this, 'StorageBucket', {
      versioned: true,
      removalPolicy: props.removalPolicy,
    });
    this.validationBucket = privateBucket(this, 'ValidationBucket', {
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
      lifecycleRules: [
        {
          id: 'expire-probes',
          enabled: true,
          expiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT],
          allowedOrigins: props.uploadOrigins.length > 0 ? props.uploadOrigins : ['*'],
          allowedHeaders: ['content-type'],
          maxAge: 600,
        },
      ],
    });
    this.table = this.createTable(props.removalPolicy);
    this.stateTable = this.createStateTable(props.removalPolicy);
    this.collectionId = props.collectionId;
    this.collectionArn = Stack.of(this).formatArn({
      service: 'rekognition',
      resource: 'collection',
      resourceName: props.collectionId,
    });
    this.createCollection(props);
    this.secret = new secrets.Secret(this, 'Keys', {
      description:
        'facegate data key and token signing key: replace both with real keys after the first deploy',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ dataKey: '', tokenSigningKey: '' }),
        generateStringKey: 'placeholder',
      },
      removalPolicy: props.removalPolicy,
    });
  }

  private createTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const { partitionKey, sortKey, gsi1, ttlAttribute } = DYNAMO_KEYS;
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: ttlAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    table.addGlobalSecondaryIndex({
      indexName: gsi1.name,
      partitionKey: { name: gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    return table;
  }

  /**
   * The shared state's table. No point-in-time recovery: it holds only what lives seconds to minutes (single-use
   * challenges, counters, locks, failure windows), so a restore has nothing worth bringing back and would bring
   * back spent challenges; PITR would also bill per GB-month for churn. TTL deletes the expired items (every read
   * also checks the expiry, since the sweeper may lag by days). Removal policy and deletion protection follow the
   * main table's, as for every stateful resource of the stack.
   */
  private createStateTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const { partitionKey, sortKey, ttlAttribute } = SHARED_STATE_KEYS;
    return new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: ttlAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }

  /** The collection through a custom resource (CloudFormation has no Rekognition collection of its own here). */
  private createCollection(props: FacegateDataProps): void {
    const resource = new cr.AwsCustomResource(this, 'Collection', {
      onCreate: {
        service: 'Rekognition',
        action: 'createCollection',
        parameters: { CollectionId: props.collectionId },
        physicalResourceId: cr.PhysicalResourceId.of(props.collectionId),
        ignoreErrorCodesMatching: 'ResourceAlreadyExistsException',
      },
      ...(props.removalPolicy === RemovalPolicy.DESTROY
        ? {
            onDelete: {
              service: 'Rekognition',
              action: 'deleteCollection',
              parameters: { CollectionId: props.collectionId },
              ignoreErrorCodesMatching: 'ResourceNotFoundException',
            },
          }
        : {}),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['rekognition:CreateCollection', 'rekognition:DeleteCollection'],
          resources: [this.collectionArn],
        }),
      ]),
      installLatestAwsSdk: false,
    });
    resource.node.addDependency(this.table);
  }
}
