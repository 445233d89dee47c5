import type { FastifyInstance } from 'fastify';
import { expect, vi } from 'vitest';
import { createAwsApp } from '../../../src/app/aws-lambda-root.js';
import type { App } from '../../../src/app/composition-root.js';
import type { ApiGatewayV2Event } from '../../../src/aws/lambda/lambda-events.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import type { LocalDynamo } from './dynalite-server.js';
import type { LocalS3 } from './local-s3.js';

/** The local stand-ins of the AWS services an app of the AWS flavour runs on. */
export interface LocalAws {
  engine: FaceEngine;
  dynamo: LocalDynamo;
  /** s3rver with the buckets `storage` and `validation`. */
  s3: LocalS3;
  dataDir: string;
}

/** The two tables of an AWS app: the store's and the shared state's. */
export interface AwsTables {
  store: string;
  state: string;
}

/** An assembled AWS app: the app, the API function's server factory, the lines it announced and its tables. */
export interface AssembledAwsApp {
  app: App;
  server: () => Promise<FastifyInstance>;
  announced: string[];
  tables: AwsTables;
}

/**
 * The AWS flavour built by the composition root from the environment the stack gives the API function, with the
 * local engine in place of Rekognition: the DynamoDB store and the DynamoDB shared state on fresh dynalite tables
 * (or on `tables`, for a second function instance beside a first), photos in the s3rver bucket. `metricLine`
 * receives the API function's embedded-metric lines.
 */
export async function assembleAwsApp(
  local: LocalAws,
  options: { metricLine?: (line: string) => void; tables?: AwsTables } = {},
): Promise<AssembledAwsApp> {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  const tables = options.tables ?? {
    store: await local.dynamo.freshTable(),
    state: await local.dynamo.freshStateTable(),
  };
  const env = {
    FACEGATE_ENV: 'test',
    FACEGATE_DATA_DIR: local.dataDir,
    FACEGATE_ENGINE_WORKERS: '0',
    FACEGATE_STORE: 'dynamodb',
    FACEGATE_DYNAMODB_TABLE: tables.store,
    FACEGATE_DYNAMODB_ENDPOINT: local.dynamo.endpoint,
    FACEGATE_SHARED_STATE: 'dynamodb',
    FACEGATE_SHARED_STATE_TABLE: tables.state,
    FACEGATE_ENGINE: 'local',
    FACEGATE_BLOBS: 's3',
    FACEGATE_S3_ENDPOINT: local.s3.endpoint,
    FACEGATE_S3_BUCKET: 'storage',
    FACEGATE_S3_PREFIX: 'blobs/',
    FACEGATE_S3_FORCE_PATH_STYLE: 'true',
    FACEGATE_S3_ACCESS_KEY_ID: 'S3RVER',
    FACEGATE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    FACEGATE_VALIDATION_BUCKET: 'validation',
  };
  const announced: string[] = [];
  const built = await createAwsApp(env, {
    app: { engine: local.engine },
    announce: (line) => announced.push(line),
    metricLine: options.metricLine ?? (() => {}),
    // A busy test machine (Argon2id on the event loop, the engine, other tests) must not read as overload: their
    // back-to-back blocks of seconds are what the check refuses.
    maxEventLoopDelayMs: 0,
  });
  expect(built.app.store.kind).toBe('dynamodb');
  expect(built.app.sharedState.kind).toBe('dynamodb');
  if (!options.tables) expect(announced.join()).toMatch(/first-run setup token/);
  return { ...built, announced, tables };
}

/** The first-run setup token an assembled app announced. */
export function announcedSetupToken(announced: readonly string[]): string | undefined {
  return /setup token \([^)]*\): (\S+)/.exec(announced.join())?.[1];
}

/** An API Gateway HTTP API (payload 2.0) event. */
export function apiEvent(request: {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}): ApiGatewayV2Event {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: '',
    headers: { host: 'door.example.com', ...request.headers },
    ...(request.body ? { body: request.body.toString('base64') } : {}),
    isBase64Encoded: request.body !== undefined,
    requestContext: {
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 't',
      },
      requestId: 'req-1',
      stage: '$default',
    },
  };
}

/** An API Gateway event for a GET without credentials (an enrolment link). */
export function publicGetEvent(path: string) {
  return apiEvent({ method: 'GET', path });
}

/** An API Gateway event for a JSON POST without credentials (setup, login). */
export function publicJsonEvent(path: string, payload: unknown) {
  return apiEvent({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(payload)),
  });
}

/** An API Gateway event for a JSON POST with a bearer key. */
export function jsonEvent(key: string, path: string, payload: unknown) {
  return apiEvent({
    method: 'POST',
    path,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(payload)),
  });
}

/** An API Gateway event for `POST /v1/authenticate` carrying a JPEG body. */
export function authenticateEvent(key: string, jpeg: Buffer) {
  return apiEvent({
    method: 'POST',
    path: '/v1/authenticate',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
    body: jpeg,
  });
}
