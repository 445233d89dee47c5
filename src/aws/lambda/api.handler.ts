import awsLambdaFastify from '@fastify/aws-lambda';
import type { FastifyInstance } from 'fastify';
import type { ApiGatewayV2Event } from './lambda-events.js';

/** The HTTP response API Gateway expects from a proxy integration. */
export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
  cookies?: string[];
}

/** Minimal Lambda context the handler passes on (the Fastify adapter reads nothing else). */
export interface LambdaContextLike {
  awsRequestId?: string;
  callbackWaitsForEmptyEventLoop?: boolean;
}

/** Content types answered base64-encoded (photos, the UI's fonts and icons if served from here). */
export const BINARY_MIME_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'application/octet-stream',
  'application/zip',
];

/**
 * The API function: the same Fastify server as `facegate serve` (same `/v1` routes, OpenAPI, auth, errors),
 * behind API Gateway through `@fastify/aws-lambda`. `build` is the composition root's server factory; it runs
 * once per cold start and the server is reused by every warm invocation.
 */
export function createApiHandler(
  build: () => Promise<FastifyInstance>,
): (event: ApiGatewayV2Event, context: LambdaContextLike) => Promise<ApiGatewayResult> {
  let proxy:
    | Promise<(event: ApiGatewayV2Event, context: LambdaContextLike) => Promise<ApiGatewayResult>>
    | undefined;
  const start = async () => {
    const app = await build();
    await app.ready();
    const handler = awsLambdaFastify<ApiGatewayV2Event>(app, {
      binaryMimeTypes: BINARY_MIME_TYPES,
      // Keep the event off the request: it holds headers and the body, which must not reach logs.
      decorateRequest: false,
      // Open handles (database clients, timers) must not hold the response until they close.
      callbackWaitsForEmptyEventLoop: false,
    });
    return (event: ApiGatewayV2Event, context: LambdaContextLike) =>
      handler(event, context as Parameters<typeof handler>[1]) as Promise<ApiGatewayResult>;
  };
  return async (event, context) => {
    proxy ??= start().catch((error: unknown) => {
      // A failed cold start is retried by the next invocation instead of failing forever.
      proxy = undefined;
      throw error;
    });
    return (await proxy)(event, context);
  };
}
