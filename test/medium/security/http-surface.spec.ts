import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../../src/app/server-lifecycle.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../../../src/config/config.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { WEB_CSP } from '../../../src/web/web.plugin.js';
import { loadEngine } from '../api/api-test-kit.js';
import { send } from './http-kit.js';

/**
 * The HTTP surface probed from outside, over real sockets, as an attacker would: floods of invalid requests, large
 * uploads to routes that take no images, `/metrics` without (or with a guessed) token, and the answers' CSP.
 */

const METRICS_TOKEN = 'metrics-4b9e1f7a2c8d6e0b3a5f9c1d7e2b4a6c';
const RATE_LIMIT = 20;

let engine: FaceEngine;
const running: RunningServer[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  engine = await loadEngine();
});
afterAll(async () => {
  for (const server of running) await server.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await engine?.close();
});

/** `facegate serve` on a free loopback port, with the web UI, over a fresh data directory. */
async function serve(overrides: DeepPartial<FacegateConfig> = {}): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facegate-surface-'));
  dirs.push(dataDir);
  const config = loadConfig(
    { NODE_ENV: 'test' },
    { env: 'test', dataDir, host: '127.0.0.1', port: 0, engine: { workers: 0 }, ...overrides },
  );
  const server = await startServer(config, {
    handleSignals: false,
    announceSetupToken: false,
    app: { engine },
  });
  running.push(server);
  return server.url;
}

/** `fetch`, retried while the event-loop guard refuses with `503` (a busy test machine). */
async function fetchSteady(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 20) return res;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The directives of a CSP header, in order. */
function directives(header: string | null): string[] {
  return (header ?? '')
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);
}

/**
 * Starts a POST that announces `declaredBytes` but sends only the first 64 KiB, and resolves with the status of
 * the answer. It can only resolve if the server answers before the body is complete, i.e. without reading it.
 */
async function answerBeforeBody(url: string, contentType: string, declaredBytes: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const status = await answerBeforeBodyOnce(url, contentType, declaredBytes);
    if (status !== 503 || attempt >= 20) return status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function answerBeforeBodyOnce(url: string, contentType: string, declaredBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': String(declaredBytes) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer before the body was complete: the server waits for (reads) the body'));
    }, 15_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write(Buffer.alloc(64 * 1024, 0xff));
  });
}

describe('uploads to routes that take no images', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve();
  });

  const FIFTEEN_MB = 15 * 1024 * 1024;
  it.each([
    ['/v1/auth/login', 'image/jpeg', 415],
    ['/v1/setup', 'image/png', 415],
    ['/v1/setup', 'application/octet-stream', 415],
    ['/v1/auth/login', 'multipart/form-data; boundary=x', 415],
    ['/v1/auth/login', 'application/json', 413],
    // Control: an image route reaches authentication (401), it is not refused for its content type.
    ['/v1/authenticate', 'image/jpeg', 401],
  ])('POST %s as %s with a 15 MB body is answered %i before the body is sent', async (path, type, status) => {
    expect(await answerBeforeBody(`${base}${path}`, type, FIFTEEN_MB)).toBe(status);
  });

  it('answers with the stable code', async () => {
    const res = await send(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: Buffer.alloc(1024),
    });
    expect(res).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
  });
});

describe('the rate limit counts anonymous and invalid requests', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve({ security: { rateLimitPerMinute: RATE_LIMIT } });
  });

  // Each kind is refused by validation or parsing, which used to run before the limit was counted.
  const INVALID: Array<[string, RequestInit, number]> = [
    ['an empty JSON object', { headers: { 'content-type': 'application/json' }, body: '{}' }, 400],
    ['malformed JSON', { headers: { 'content-type': 'application/json' }, body: '{"username":' }, 400],
    ['a text/plain body', { headers: { 'content-type': 'text/plain' }, body: 'admin:admin' }, 400],
    ['an unknown content type', { headers: { 'content-type': 'application/x-evil' }, body: 'x' }, 415],
    [
      'an oversized JSON body',
      { headers: { 'content-type': 'application/json' }, body: `"${'a'.repeat(300_000)}"` },
      413,
    ],
  ];

  it('refuses the flood with 429 once the limit is spent, whatever the kind of invalid request', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) {
      const [, init, expected] = INVALID[i % INVALID.length]!;
      const res = await send(`${base}/v1/auth/login`, { method: 'POST', ...init });
      expect(res.status).toBe(expected);
      statuses.push(res.status);
    }
    expect(statuses).not.toContain(429);
    for (const [kind, init] of INVALID) {
      const res = await send(`${base}/v1/auth/login`, { method: 'POST', ...init });
      expect({ kind, status: res.status, code: res.body.error?.code }).toEqual({
        kind,
        status: 429,
        code: 'RATE_LIMITED',
      });
    }
  });
});

describe('/metrics', () => {
  let open: string;
  let closed: string;
  beforeAll(async () => {
    open = await serve({ operations: { metricsToken: METRICS_TOKEN } });
    closed = await serve({ operations: { metricsToken: undefined } });
  });

  it.each([
    ['no Authorization header', 401, undefined],
    ['a guessed token', 401, 'Bearer letmein'],
    ['the token with one more character', 401, `Bearer ${METRICS_TOKEN}x`],
    ['the token cut short', 401, `Bearer ${METRICS_TOKEN.slice(0, -1)}`],
    ['the token as Basic credentials', 401, `Basic ${METRICS_TOKEN}`],
    ['an API-key-shaped token', 401, 'Bearer fg_0123456789ab_secret'],
    ['the token', 200, `Bearer ${METRICS_TOKEN}`],
  ])('with %s answers %i', async (_what, status, authorization) => {
    const res = await fetchSteady(`${open}/metrics`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(status);
    const text = await res.text();
    if (status === 200) expect(text).toContain('facegate_http_requests_total');
    else expect(text).not.toContain('facegate_');
  });

  it('does not exist when no token is configured, even with a token', async () => {
    const res = await fetchSteady(`${closed}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(404);
  });

  it('leaves the API documentation public', async () => {
    expect((await fetchSteady(`${closed}/docs/json`)).status).toBe(200);
  });

  it.each([
    ['test', 'short-token', false],
    ['test', 'a'.repeat(40), false],
    ['test', 'changeme', false],
    ['test', METRICS_TOKEN, true],
    ['development', 'short-token', true],
  ])('in %s, FACEGATE_METRICS_TOKEN=%s is accepted: %s', (env, token, accepted) => {
    const load = () => loadConfig({ FACEGATE_ENV: env, FACEGATE_METRICS_TOKEN: token });
    if (accepted) {
      expect(load().operations.metricsToken).toBe(token);
      return;
    }
    let problems: unknown[] = [];
    try {
      load();
    } catch (error) {
      if (isFacegateError(error)) problems = (error.details?.problems as unknown[]) ?? [];
    }
    expect(problems).toEqual([expect.stringContaining('FACEGATE_METRICS_TOKEN')]);
  });
});

describe('Content-Security-Policy', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve({ operations: { metricsToken: METRICS_TOKEN } });
  });

  it.each([
    ['GET', '/healthz'],
    ['GET', '/v1/auth/me'],
    ['GET', '/v1/no-such-route'],
    ['POST', '/v1/auth/login'],
    ['GET', '/metrics'],
  ])('the JSON answer of %s %s allows nothing to load and no framing', async (method, path) => {
    const res = await fetchSteady(`${base}${path}`, { method });
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp).toEqual(["default-src 'none'", "frame-ancestors 'none'"]);
    expect(csp.join(';')).not.toMatch(/unsafe-inline|https:/);
  });

  it.each(['/', '/admin'])('the web page %s keeps its own strict CSP', async (path) => {
    const res = await fetchSteady(`${base}${path}`);
    expect(directives(res.headers.get('content-security-policy'))).toEqual(directives(WEB_CSP));
  });
});
