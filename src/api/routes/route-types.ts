import type { IncomingMessage, ServerResponse } from 'node:http';
import type {} from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ApiContext } from '../api-context.js';
import type { ImageGate } from '../image-gate.js';
import type { ApiMetrics } from '../metrics.js';

/** The Fastify instance routes are declared on (TypeBox-typed). */
export type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What every route module receives. */
export interface RouteDeps {
  ctx: ApiContext;
  metrics: ApiMetrics;
  /** Guards image work: throws `OVERLOADED` when too many analyses are in flight. */
  imageGate: ImageGate;
}

/** OpenAPI security requirement of authenticated routes. */
export const SECURED: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }];
