import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app/composition-root.js';
import { loadConfig } from '../../../src/config/config.js';

const run = promisify(execFile);
/** Each test runs the CLI several times, each a new Node process: generous on a loaded machine. */
const CLI_TEST_MS = 240_000;
let dataDir: string;

/** Runs `facegate …` in a child process on the temp data dir, optionally feeding stdin. */
async function facegate(
  args: string[],
  stdin?: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir, FACEGATE_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-cli-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('facegate admin / keys', () => {
  it(
    'creates the first admin from stdin, refuses weak passwords, resets a password',
    async () => {
      const weak = await facegate(['admin', 'create', '-u', 'admin', '--password-stdin'], 'short\n');
      expect(weak.code).toBe(2);
      expect(weak.stderr).toMatch(/^VALIDATION_FAILED: Password must have/);
      const created = await facegate(
        ['admin', 'create', '-u', 'admin', '--password-stdin'],
        'correct horse battery staple\n',
      );
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/Created admin "admin"/);
      const again = await facegate(
        ['admin', 'create', '-u', 'admin', '--password-stdin'],
        'correct horse battery staple\n',
      );
      expect(again.stderr).toMatch(/^CONFLICT/);
      const reset = await facegate(
        ['admin', 'reset-password', 'admin', '--password-stdin'],
        'another long passphrase\n',
      );
      expect(reset.code, reset.stderr).toBe(0);
    },
    CLI_TEST_MS,
  );

  it(
    'creates a key shown once, lists it without the secret, and revokes it by prefix',
    async () => {
      const created = await facegate(['keys', 'create', '-n', 'front door', '-r', 'kiosk', '--json']);
      expect(created.code, created.stderr).toBe(0);
      const key = JSON.parse(created.stdout) as { prefix: string; secret: string; role: string };
      expect(key.role).toBe('kiosk');
      const list = await facegate(['keys', 'list', '--json']);
      expect(list.stdout).toContain(key.prefix);
      expect(list.stdout).not.toContain(key.secret.split('_').slice(2).join('_'));

      const config = loadConfig(
        { FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir },
        { engine: { workers: 0 } },
      );
      const app = await createApp(config);
      const { apiKeys } = app.services.auth;
      try {
        await expect(apiKeys.authenticate(key.secret, null)).resolves.toMatchObject({
          role: 'kiosk',
        });
        const revoked = await facegate(['keys', 'revoke', key.prefix]);
        expect(revoked.code, revoked.stderr).toBe(0);
        await expect(apiKeys.authenticate(key.secret, null)).rejects.toMatchObject({
          code: 'UNAUTHENTICATED',
        });
      } finally {
        await app.close();
      }
    },
    CLI_TEST_MS,
  );
});
