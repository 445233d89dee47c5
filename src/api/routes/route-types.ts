import type { IncomingMessage, ServerResponse } from 'node:http';
import type {} from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import { FacegateError } from '../../domain/errors.js';
import type { ApiContext } from '../api-context.js';
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

/** Bounds concurrent image analyses so overload becomes a fast 503, never a growing queue or a crash. */
export class ImageGate {
  private inFlight = 0;
  constructor(readonly limit: number) {}

  /** Runs `fn` when a slot is free, else throws `OVERLOADED` (Retry-After set by the error handler). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limit) {
      throw new FacegateError('OVERLOADED', 'Server busy; retry shortly', { retryAfterSeconds: 1 });
    }
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
}

/** OpenAPI security requirement of authenticated routes. */
export const SECURED: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { cookieAuth: [] }];
