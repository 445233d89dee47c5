import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ApiContext } from '../../../src/api/api-context.js';
import { createApiContext } from '../../../src/api/create-api-context.js';
import { buildServer } from '../../../src/api/server.js';
import { type App, createApp } from '../../../src/app/composition-root.js';
import { rolePolicy } from '../../../src/auth/actor.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../../../src/config/config.js';
import { createFaceEngine } from '../../../src/engine/create-face-engine.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { MODEL_THRESHOLDS, thresholdFor } from '../../../src/gallery/threshold-presets.js';

/** A strong test password (never used outside tests). */
export const PASSWORD = 'correct horse battery staple';

/** Calibrated threshold when the model has presets, else 0.5 (uncalibrated models in early development). */
export function testThresholds(model: string, preset: 'strict' | 'balanced' | 'lenient'): number {
  return MODEL_THRESHOLDS[model] ? thresholdFor(model, preset) : 0.5;
}

/** Config of a throw-away data directory with the in-process engine. */
export function testConfig(dataDir: string, overrides: DeepPartial<FacegateConfig> = {}): FacegateConfig {
  return loadConfig(
    { FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir, FACEGATE_ENGINE_WORKERS: '0' },
    { ...overrides, security: { rateLimitPerMinute: 100_000, ...overrides.security } },
  );
}

/** One loaded engine per test file. */
export async function loadEngine(): Promise<FaceEngine> {
  const engine = createFaceEngine(testConfig(tmpdir()));
  await engine.load();
  return engine;
}

/** A running API over a fresh data directory. */
export interface TestApi {
  server: FastifyInstance;
  ctx: ApiContext;
  app: App;
  dataDir: string;
  setupToken: string;
  close(): Promise<void>;
}

/** Builds the real server (real SQLite, real engine, role policy) over a temp data dir. */
export async function openApi(
  engine: FaceEngine,
  overrides: DeepPartial<FacegateConfig> = {},
  dataDir?: string,
): Promise<TestApi> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'facegate-api-')));
  const app = await createApp(testConfig(dir, overrides), {
    engine,
    thresholds: testThresholds,
    policy: rolePolicy,
  });
  const ctx = createApiContext(app);
  const server = await buildServer(ctx, { logger: false });
  const setupToken = (await ctx.auth.setup.issueToken()) ?? '';
  return {
    server,
    ctx,
    app,
    dataDir: dir,
    setupToken,
    async close() {
      await server.close();
      await app.close();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A file part of a multipart body. */
export interface FilePart {
  field?: string;
  name?: string;
  type?: string;
  bytes: Uint8Array;
}

/** Builds a multipart/form-data payload. */
export function multipart(
  files: FilePart[],
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----facegate${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field ?? 'photo'}"; filename="${f.name ?? 'photo.jpg'}"\r\n` +
          `Content-Type: ${f.type ?? 'image/jpeg'}\r\n\r\n`,
      ),
      Buffer.from(f.bytes),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** `Authorization: Bearer …` header. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Parses a JSON response body. */
export function body<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}

/** The stable error code of an error response. */
export function errorCode(res: LightMyRequestResponse): string | undefined {
  try {
    return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Runs first-run setup and returns a bearer session token of the admin. */
export async function setupAdmin(api: TestApi, username = 'admin'): Promise<string> {
  const setup = await api.server.inject({
    method: 'POST',
    url: '/v1/setup',
    payload: { setupToken: api.setupToken, username, password: PASSWORD },
  });
  if (setup.statusCode !== 201) throw new Error(`setup failed: ${setup.body}`);
  return login(api, username);
}

/** Logs in and returns a bearer session token. */
export async function login(api: TestApi, username: string, password = PASSWORD): Promise<string> {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password, session: 'bearer' },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return body<{ token: string }>(res).token;
}

/** Creates an API key with a role and returns its secret. */
export async function createKey(api: TestApi, adminToken: string, role: string, name = `${role} key`) {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/keys',
    headers: bearer(adminToken),
    payload: { name, role },
  });
  if (res.statusCode !== 201) throw new Error(`key failed: ${res.body}`);
  return body<{ secret: string; key: { id: string } }>(res);
}
