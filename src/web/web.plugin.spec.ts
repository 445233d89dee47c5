import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE_CACHE, WEB_CSP, webPlugin } from './web.plugin.js';

async function serve(root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(webPlugin, { root });
  await app.ready();
  return app;
}

describe('web plugin', () => {
  let built: string;
  let empty: string;

  beforeAll(async () => {
    built = await mkdtemp(join(tmpdir(), 'facegate-web-'));
    empty = await mkdtemp(join(tmpdir(), 'facegate-web-empty-'));
    await mkdir(join(built, 'assets'));
    await writeFile(join(built, 'index.html'), '<!doctype html><title>kiosk</title>');
    await writeFile(join(built, 'admin.html'), '<!doctype html><title>admin</title>');
    await writeFile(join(built, 'enrol.html'), '<!doctype html><title>enrol</title>');
    await writeFile(join(built, 'assets', 'kiosk-AbCd1234.js'), 'console.log(1)');
    await writeFile(join(built, 'secret.txt'), 'not served');
  });

  afterAll(async () => {
    await rm(built, { recursive: true, force: true });
    await rm(empty, { recursive: true, force: true });
  });

  it('serves the kiosk and the admin app with no-cache and the strict CSP', async () => {
    const app = await serve(built);
    const kiosk = await app.inject('/');
    expect(kiosk.statusCode).toBe(200);
    expect(kiosk.body).toContain('kiosk');
    expect(kiosk.headers['content-type']).toMatch(/^text\/html/);
    expect(kiosk.headers['cache-control']).toBe('no-cache');
    expect(kiosk.headers['content-security-policy']).toBe(WEB_CSP);
    expect(WEB_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    for (const path of ['/admin', '/admin/', '/admin/employees/123', '/admin/audit?x=1']) {
      const page = await app.inject(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.body).toContain('admin');
    }
    const enrol = await app.inject('/enrol/AbCdEfGhIjKlMnOpQrStUv_-12345678');
    expect(enrol.statusCode).toBe(200);
    expect(enrol.body).toContain('enrol');
    expect(enrol.headers['content-security-policy']).toBe(WEB_CSP);
    expect(enrol.headers['cache-control']).toBe('no-cache');
    await app.close();
  });

  it('serves hashed assets as immutable and nothing else from the build folder', async () => {
    const app = await serve(built);
    const asset = await app.inject('/assets/kiosk-AbCd1234.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe(IMMUTABLE_CACHE);
    expect((await app.inject('/assets/other.js')).statusCode).toBe(404);
    expect((await app.inject('/assets/../secret.txt')).statusCode).toBe(404);
    expect((await app.inject('/secret.txt')).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 with a build hint when the UI is not built, and keeps serving', async () => {
    const app = await serve(empty);
    const page = await app.inject('/');
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build:web');
    expect((await app.inject('/assets/kiosk-AbCd1234.js')).statusCode).toBe(404);
    await app.close();
  });
});
