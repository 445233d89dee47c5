import type { FastifyInstance } from 'fastify';

/**
 * CORS is off unless `FACEGATE_CORS_ORIGINS` lists origins: then exactly those origins may call the API
 * (no credentials: browsers on other origins must use bearer API keys, never the session cookie).
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS') {
      reply
        .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type, x-request-id')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    }
  });
}
