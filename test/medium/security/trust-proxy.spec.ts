import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { loadEngine, openApi, type TestApi } from '../api/api-test-kit.js';
import { auditOf, listen, postJson } from './http-kit.js';

let engine: FaceEngine;
const open: TestApi[] = [];

beforeAll(async () => {
  engine = await loadEngine();
});
afterAll(async () => {
  for (const api of open) await api.close();
  await engine?.close();
});

/** A server listening on loopback with `FACEGATE_TRUST_PROXY` set as an operator would write it. */
async function serverTrusting(setting: string): Promise<{ api: TestApi; base: string }> {
  const { trustProxy } = loadConfig({ NODE_ENV: 'test', FACEGATE_TRUST_PROXY: setting }).security;
  const api = await openApi(engine, { security: { trustProxy } });
  open.push(api);
  return { api, base: await listen(api) };
}

/** The client address the server recorded for a failed login sent with this X-Forwarded-For. */
async function recordedIp(
  target: { api: TestApi; base: string },
  forwardedFor: string,
): Promise<string | null> {
  const username = `probe${Math.random().toString(36).slice(2, 10)}`;
  const res = await postJson(
    `${target.base}/v1/auth/login`,
    { username, password: 'not the password at all' },
    { 'x-forwarded-for': forwardedFor },
  );
  expect(res.status).toBe(401);
  const events = await auditOf(target.api, 'login');
  expect(events.length).toBeGreaterThan(0);
  return events[0]!.ip;
}

describe('FACEGATE_TRUST_PROXY over real HTTP (the test client is the proxy, at 127.0.0.1)', () => {
  // The proxy appends the address it saw; everything left of it was written by the client.
  it.each([
    ['1', '203.0.113.7'],
    ['127.0.0.1', '203.0.113.7'],
    ['::1, 127.0.0.0/8', '203.0.113.7'],
    ['false', '127.0.0.1'],
    ['10.0.0.0/8', '127.0.0.1'],
  ])(
    'with %s, a forged leftmost X-Forwarded-For entry does not change the client address',
    async (setting, client) => {
      const server = await serverTrusting(setting);
      expect(await recordedIp(server, '6.6.6.6, 203.0.113.7')).toBe(client);
      expect(await recordedIp(server, '198.51.100.99, 6.6.6.6, 203.0.113.7')).toBe(client);
      // The lockout counts the real client: no subject was opened for a forged address.
      const subjects = (await server.api.app.store.lockouts.list()).map((s) => s.subject).join(' ');
      expect(subjects).not.toMatch(/6\.6\.6\.6|198\.51\.100\.99/);
    },
  );

  it('with a hop count of 2, the second proxy from the right names the client', async () => {
    const server = await serverTrusting('2');
    expect(await recordedIp(server, '6.6.6.6, 203.0.113.7, 10.0.0.2')).toBe('203.0.113.7');
  });
});
