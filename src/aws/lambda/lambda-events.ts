/**
 * The parts of the Lambda events facegate reads, typed here rather than through `@types/aws-lambda` (not a
 * dependency). Shapes follow the AWS documentation of S3 notifications and API Gateway HTTP API payload 2.0.
 */

/** One record of an S3 event notification. */
export interface S3EventRecord {
  eventSource?: string;
  eventName: string;
  s3: {
    bucket: { name: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
}

/** An S3 event notification as Lambda receives it. */
export interface S3Event {
  Records: S3EventRecord[];
}

/** An object named by an S3 event, its key decoded. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size: number;
  eTag: string | null;
  versionId: string | null;
}

/**
 * The `ObjectCreated:*` objects of an S3 event. S3 URL-encodes keys in notifications with `+` for spaces, so
 * `Jane Doe.jpg` arrives as `Jane+Doe.jpg` and `é` as `%C3%A9`; both are decoded here. Other events are ignored.
 */
export function createdObjects(event: S3Event): S3ObjectRef[] {
  if (!event || !Array.isArray(event.Records)) return [];
  return event.Records.filter(
    (record) =>
      record?.eventName?.startsWith('ObjectCreated:') && record.s3?.bucket?.name && record.s3.object?.key,
  ).map((record) => ({
    bucket: record.s3.bucket.name,
    key: decodeS3Key(record.s3.object.key),
    size: record.s3.object.size ?? 0,
    eTag: record.s3.object.eTag ?? null,
    versionId: record.s3.object.versionId ?? null,
  }));
}

/** Decodes an S3 notification key (`+` is a space, then percent-decoding). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The parts of an API Gateway HTTP API (payload 2.0) event the tests build; the adapter reads the rest. */
export interface ApiGatewayV2Event {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  queryStringParameters?: Record<string, string>;
  headers: Record<string, string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    stage: string;
    [key: string]: unknown;
  };
}
