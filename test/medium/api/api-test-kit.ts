import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiContext } from '../../../src/api/api-context.js';
import { type App, apiContextOf, createApp } from '../../../src/app/composition-root.js';
import { buildAppServer } from '../../../src/app/server-lifecycle.js';
import { SETTINGS_KEYS } from '../../../src/auth/settings.service.js';
import type { DeepPartial, FacegateConfig } from '../../../src/config/config.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { noteMissingCalibration } from '../../fixtures/calibration-check.js';
import { loadEngine, testConfig as serviceTestConfig } from '../services/service-test-kit.js';

/** A strong test password (never used outside tests). */
export const PASSWORD = 'correct horse battery staple';

export { listFiles, loadEngine } from '../services/service-test-kit.js';

/** The `/metrics` bearer token of test servers. */
export const METRICS_TOKEN = 'test-metrics-token-5f0c9a7e2b1d4c3a8e6f';
/** Headers that open `/metrics` on a test server. */
export const METRICS_AUTH = { authorization: `Bearer ${METRICS_TOKEN}` };

/** The services' test config with the rate limit out of the way (tests that need one set it), metrics on. */
export function testConfig(dataDir: string, overrides: DeepPartial<FacegateConfig> = {}): FacegateConfig {
  return serviceTestConfig(dataDir, {
    ...overrides,
    security: { rateLimitPerMinute: 100_000, ...overrides.security },
    operations: { metricsToken: METRICS_TOKEN, ...overrides.operations },
  });
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

/** Options of {@link openApi}. */
export interface OpenApiOptions {
  /**
   * Keep the product's default liveness mode (`challenge`: single photos refused). Without it the API starts with
   * the `livenessMode` setting `off`, so that tests of matching can send one photo.
   */
  livenessDefault?: boolean;
  /**
   * The event-loop delay above which the server answers `503 OVERLOADED`; 0 (the check off) unless a test asks
   * for it.
   */
  maxEventLoopDelayMs?: number;
}

/**
 * Builds the real server (real SQLite, real engine, role policy, calibrated thresholds) over a temp data dir;
 * `now` is the services' clock. A model without calibration makes every match fail with `NOT_READY` (and says so
 * on stderr).
 */
export async function openApi(
  engine: FaceEngine,
  overrides: DeepPartial<FacegateConfig> = {},
  dataDir?: string,
  now?: () => Date,
  options: OpenApiOptions = {},
): Promise<TestApi> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'facegate-api-')));
  noteMissingCalibration(engine.info.model);
  const app = await createApp(testConfig(dir, overrides), { engine, ...(now ? { clock: { now } } : {}) });
  if (!options.livenessDefault) await app.store.settings.set(SETTINGS_KEYS.livenessMode, 'off');
  const ctx = apiContextOf(app);
  // The engine runs in this thread here, so the event-loop check is off (0) unless a test asks for it: on a
  // loaded machine back-to-back detections block the loop for seconds each, which the check rightly reads as
  // overload; a 503 would fail a test about something else.
  const server = await buildAppServer(app, {
    logger: false,
    maxEventLoopDelayMs: options.maxEventLoopDelayMs ?? 0,
  });
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

/** A test API on its own engine, with the first admin signed in and a kiosk key. */
export interface StaffedApi extends TestApi {
  engine: FaceEngine;
  adminToken: string;
  /** Bearer headers of the admin's session. */
  admin: Record<string, string>;
  kioskSecret: string;
  kioskKeyId: string;
  /** Bearer headers of the kiosk key. */
  kiosk: Record<string, string>;
}

/** Loads an engine, opens an API on it, sets up the admin and creates a kiosk key; `close` ends it all. */
export async function openStaffedApi(
  overrides: DeepPartial<FacegateConfig> = {},
  now?: () => Date,
  options: OpenApiOptions = {},
): Promise<StaffedApi> {
  const engine = await loadEngine();
  let api: TestApi | undefined;
  try {
    api = await openApi(engine, overrides, undefined, now, options);
    const opened = api;
    return await staffApi(api, engine, async () => {
      await opened.close();
      await engine.close();
    });
  } catch (error) {
    await api?.close();
    await engine.close();
    throw error;
  }
}

/**
 * Staffs an open API (any flavour: the server's, the AWS app's): first-run setup of the admin, a signed-in admin
 * session and a kiosk key; `close` is what closing the staffed API does.
 */
export async function staffApi(
  api: TestApi,
  engine: FaceEngine,
  close: () => Promise<void>,
): Promise<StaffedApi> {
  const adminToken = await setupAdmin(api);
  const key = await createKey(api, adminToken, 'kiosk');
  return {
    ...api,
    engine,
    adminToken,
    admin: bearer(adminToken),
    kioskSecret: key.secret,
    kioskKeyId: key.key.id,
    kiosk: bearer(key.secret),
    close,
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

/** A POST of raw image bytes (how kiosks send a photo). */
export function imagePost(
  url: string,
  bytes: Buffer | string,
  headers: Record<string, string>,
  type = 'image/jpeg',
): InjectOptions {
  return { method: 'POST', url, headers: { ...headers, 'content-type': type }, payload: bytes };
}

/** A multipart/form-data POST of files and fields. */
export function formPost(
  url: string,
  headers: Record<string, string>,
  files: FilePart[],
  fields?: Record<string, string>,
): InjectOptions {
  const upload = multipart(files, fields);
  return { method: 'POST', url, headers: { ...headers, ...upload.headers }, payload: upload.payload };
}

/** Creates a user with a role (the test password) and returns its id. */
export async function createUser(api: TestApi, adminToken: string, username: string, role: string) {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/users',
    headers: bearer(adminToken),
    payload: { username, password: PASSWORD, role },
  });
  if (res.statusCode !== 201) throw new Error(`user failed: ${res.body}`);
  return body<{ id: string }>(res).id;
}

/** The fields an employee is created with. */
export interface NewEmployeeFields {
  badge: string;
  firstName: string;
  lastName: string;
}

/** Creates an employee and returns its id. */
export async function createEmployee(
  api: TestApi,
  headers: Record<string, string>,
  employee: NewEmployeeFields,
): Promise<string> {
  const res = await api.server.inject({ method: 'POST', url: '/v1/employees', headers, payload: employee });
  if (res.statusCode !== 201) throw new Error(`employee failed: ${res.body}`);
  return body<{ id: string }>(res).id;
}

/** Uploads photos to an employee's faces (multipart) and returns the response. */
export function uploadFaces(
  api: TestApi,
  headers: Record<string, string>,
  employeeId: string,
  files: FilePart[],
): Promise<LightMyRequestResponse> {
  return api.server.inject(formPost(`/v1/employees/${employeeId}/faces`, headers, files));
}

/** Creates an employee enrolled with one photo; throws unless the photo became a template. */
export async function enrollEmployee(
  api: TestApi,
  headers: Record<string, string>,
  employee: NewEmployeeFields,
  photo: Buffer,
): Promise<string> {
  const id = await createEmployee(api, headers, employee);
  const res = await uploadFaces(api, headers, id, [{ bytes: photo }]);
  if (body<{ added?: number }>(res).added !== 1) throw new Error(`enrollment failed: ${res.body}`);
  return id;
}
