import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOP_TICK_MS, LOOP_WINDOW_MS } from '../../../src/api/event-loop-gate.js';
import { buildServer } from '../../../src/api/server.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createKey,
  enrollEmployee,
  errorCode,
  imagePost,
  openApi,
  openStaffedApi,
  type StaffedApi,
  setupAdmin,
} from './api-test-kit.js';

let api: StaffedApi;
let face: Buffer;

beforeAll(async () => {
  api = await openStaffedApi();
  face = await faceCrop('s6-3');
  await enrollEmployee(api, api.admin, { badge: 'S-1', firstName: 'Server', lastName: 'Side' }, face);
});
afterAll(async () => {
  await api?.close();
});

/** Blocks the event loop with a busy loop for at least `ms`; returns the span measured. */
function blockLoop(ms: number): number {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // busy: nothing else runs on this thread meanwhile
  }
  return performance.now() - start;
}

/** Keeps the event loop busy in chunks of `chunkMs` (one chunk a loop turn) until `stop`. */
function keepLoopBusy(chunkMs: number): { chunks(count: number): Promise<void>; stop(): void } {
  let done = 0;
  let stopped = false;
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const chunk = () => {
    if (stopped) return;
    blockLoop(chunkMs);
    done++;
    for (const w of waiting.filter((w) => w.count <= done)) w.resolve();
    setImmediate(chunk);
  };
  setImmediate(chunk);
  return {
    chunks: (count) => new Promise((resolve) => waiting.push({ count, resolve })),
    stop: () => {
      stopped = true;
    },
  };
}

/** Lets the loop turn until its timers due by now have run. */
function nextTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2 * LOOP_TICK_MS));
}

/** A log stream that keeps what the server writes. */
function captureLog(): { stream: Writable; text: string } {
  const log = {
    text: '',
    stream: new Writable({
      write(chunk, _encoding, done) {
        log.text += String(chunk);
        done();
      },
    }),
  };
  return log;
}

describe('server behaviour', () => {
  it('rate-limits per API key with 429 RATE_LIMITED and Retry-After', async () => {
    const limited = await openApi(api.engine, { security: { rateLimitPerMinute: 3 } });
    try {
      const token = await setupAdmin(limited);
      const key = (await createKey(limited, token, 'auditor')).secret;
      const statuses: number[] = [];
      let last = await limited.server.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(key) });
      statuses.push(last.statusCode);
      for (let i = 0; i < 3; i++) {
        last = await limited.server.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(key) });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(errorCode(last)).toBe('RATE_LIMITED');
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
      // Another key has its own budget.
      const other = (await createKey(limited, token, 'auditor')).secret;
      expect(
        (await limited.server.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(other) }))
          .statusCode,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('turns overload into 503 OVERLOADED with Retry-After, never a crash', async () => {
    const server = await buildServer(api.ctx, {
      logger: false,
      maxImagesInFlight: 1,
      maxEventLoopDelayMs: 0,
    });
    try {
      const probe = await transform(face, 'flip');
      const results = await Promise.all(
        Array.from({ length: 4 }, () => server.inject(imagePost('/v1/authenticate', probe, api.kiosk))),
      );
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      const busy = results.find((r) => r.statusCode === 503)!;
      expect(errorCode(busy)).toBe('OVERLOADED');
      expect(busy.headers['retry-after']).toMatch(/^\d+$/);
      expect(results.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('answers requests after one long block of the event loop: a single stall is not overload', async () => {
    const limitMs = 1000;
    const server = await buildServer(api.ctx, { logger: false, maxEventLoopDelayMs: limitMs });
    try {
      expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      // Longer than the limit and than a one-second sampling interval.
      expect(blockLoop(1.5 * limitMs)).toBeGreaterThanOrEqual(1.5 * limitMs);
      const first = await server.inject({ method: 'GET', url: '/healthz' });
      await nextTimers(); // the sampler has now recorded the block
      const statuses = [first.statusCode];
      for (let i = 0; i < 5; i++) {
        statuses.push((await server.inject({ method: 'GET', url: '/v1/.well-known/jwks.json' })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await server.close();
    }
  });

  it('answers 503 OVERLOADED with Retry-After while the event loop keeps running late', async () => {
    const limitMs = 100;
    const chunkMs = 2.5 * limitMs;
    const server = await buildServer(api.ctx, { logger: false, maxEventLoopDelayMs: limitMs });
    const load = keepLoopBusy(chunkMs);
    try {
      // Each chunk leaves one sample a whole chunk late. The window holds fewer on-time samples than one per half
      // tick, and reads the sample of rank floor(samples / 100), worst first: it reads late once the late samples
      // outnumber that rank. One chunk more, as the tick after the last chunk may not have run yet.
      const onTimeAtMost = LOOP_WINDOW_MS / (LOOP_TICK_MS / 2);
      let late = 2;
      while (late <= Math.floor((onTimeAtMost + late) / 100)) late++;
      await load.chunks(late + 1);
      const busy = await server.inject({ method: 'GET', url: '/healthz' });
      expect(busy.statusCode).toBe(503);
      expect(errorCode(busy)).toBe('OVERLOADED');
      expect(busy.headers['retry-after']).toBe('5');
      const image = await server.inject(imagePost('/v1/authenticate', face, api.kiosk));
      expect(errorCode(image)).toBe('OVERLOADED');
    } finally {
      load.stop();
      await server.close();
    }
  });

  it('graceful shutdown: an in-flight request on a real port finishes, then the port is closed', async () => {
    const server = await buildServer(api.ctx, { logger: false, maxEventLoopDelayMs: 0 });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const inFlight = fetch(`http://127.0.0.1:${port}/v1/authenticate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.kioskSecret}`, 'content-type': 'image/jpeg' },
      body: await transform(face, 'recompress'),
    });
    // Close once the request is being served.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = server.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { decision: string }).decision).toBe('match');
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('never logs credentials, cookies, image bytes or embeddings', async () => {
    const log = captureLog();
    const logged = await buildServer(
      { ...api.ctx, config: { ...api.ctx.config, logLevel: 'trace' } },
      { logStream: log.stream, maxEventLoopDelayMs: 0 },
    );
    try {
      const probe = await transform(face, 'flip');
      await logged.inject({
        method: 'POST',
        url: '/v1/authenticate',
        headers: {
          ...api.kiosk,
          'content-type': 'image/jpeg',
          cookie: 'fg_session=fgs_secretcookie',
        },
        payload: probe,
      });
      await logged.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { username: 'admin', password: 'wrong-password-xyz' },
      });
      await logged.inject({
        method: 'GET',
        url: '/v1/employees',
        headers: { authorization: 'Bearer fgs_not_a_session' },
      });
      // Link tokens are bearer secrets in the path: the request line is logged with them masked.
      await logged.inject({ method: 'GET', url: '/v1/enrol/inv_linksecret123456789?x=1' });
      await logged.inject({ method: 'GET', url: '/v1/welcome-photo/wp_linksecret987654321' });
      expect(log.text).toContain('/v1/enrol/[redacted]?x=1');
      expect(log.text).toContain('/v1/welcome-photo/[redacted]');
      expect(log.text).not.toContain('linksecret');
      expect(log.text).toContain('request completed');
      expect(log.text).not.toContain(api.kioskSecret.split('_').slice(2).join('_'));
      expect(log.text).not.toContain('fgs_secretcookie');
      expect(log.text).not.toContain('wrong-password-xyz');
      expect(log.text).not.toContain('fgs_not_a_session');
      expect(log.text).not.toContain(probe.subarray(100, 140).toString('base64'));
      expect(log.text).not.toMatch(/embedding/i);
    } finally {
      await logged.close();
    }
  });

  it('answers unknown errors with a logged 500 and a request id, never a stack or the cause', async () => {
    const failing = Object.create(api.ctx.auth.settings) as typeof api.ctx.auth.settings;
    failing.get = async () => {
      throw new Error('disk on fire at /secret/path.ts:12');
    };
    const log = captureLog();
    const broken = await buildServer(
      {
        ...api.ctx,
        config: { ...api.ctx.config, logLevel: 'error' },
        auth: { ...api.ctx.auth, settings: failing },
        store: {
          ping: async () => {
            throw new Error('database gone');
          },
        },
      },
      { logStream: log.stream, maxEventLoopDelayMs: 0 },
    );
    try {
      const res = await broken.inject({
        method: 'GET',
        url: '/v1/settings',
        headers: { ...api.admin, 'x-request-id': 'trace-me-1' },
      });
      expect(res.statusCode).toBe(500);
      expect(body(res)).toEqual({
        error: { code: 'INTERNAL', message: 'Internal error', requestId: 'trace-me-1' },
      });
      expect(res.headers['x-request-id']).toBe('trace-me-1');
      expect(log.text).toContain('disk on fire'); // logged for operators, with the request id
      expect(log.text).toContain('trace-me-1');
      const ready = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(errorCode(ready)).toBe('NOT_READY');
      expect(ready.body).not.toContain('database gone');
    } finally {
      await broken.close();
    }
  });

  it('CORS is off by default and, when configured, allows only the listed origins without credentials', async () => {
    const off = await api.server.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://evil.example' },
    });
    expect(off.headers['access-control-allow-origin']).toBeUndefined();
    const server = await buildServer(
      {
        ...api.ctx,
        config: {
          ...api.ctx.config,
          security: { ...api.ctx.config.security, corsOrigins: ['https://door.example'] },
        },
      },
      { logger: false, maxEventLoopDelayMs: 0 },
    );
    try {
      const allowed = await server.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: 'https://door.example' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://door.example');
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      const preflight = await server.inject({
        method: 'OPTIONS',
        url: '/v1/authenticate',
        headers: { origin: 'https://door.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
      const other = await server.inject({
        method: 'GET',
        url: '/healthz',
        headers: { origin: 'https://evil.example' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
