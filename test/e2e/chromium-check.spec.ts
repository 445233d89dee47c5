import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, chromiumProblem, DEFAULT_CHROMIUM } from './chromium-check.js';

describe('Chromium check before the e2e run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facegate-chromium-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses FACEGATE_CHROMIUM, else Debian’s /usr/bin/chromium', () => {
    expect(chromiumPath({ FACEGATE_CHROMIUM: '/opt/chrome/chrome' })).toBe('/opt/chrome/chrome');
    expect(chromiumPath({ FACEGATE_CHROMIUM: '' })).toBe(DEFAULT_CHROMIUM);
    expect(chromiumPath({})).toBe('/usr/bin/chromium');
  });

  it('accepts an executable file', async () => {
    const bin = join(dir, 'chromium');
    await writeFile(bin, '#!/bin/sh\n');
    await chmod(bin, 0o755);
    expect(await chromiumProblem(bin)).toBeUndefined();
  });

  it('refuses a missing path, a folder and a file that cannot run, in one line that says how to fix it', async () => {
    const plain = join(dir, 'plain');
    await writeFile(plain, 'not a program');
    await chmod(plain, 0o644);
    const missing = await chromiumProblem(join(dir, 'missing'));
    expect(missing).toBe(
      `e2e tests need Chromium: ${join(dir, 'missing')} not found; install it (apt-get install chromium) or set FACEGATE_CHROMIUM to a Chromium binary`,
    );
    expect(await chromiumProblem(dir)).toMatch(/is not a file; install it \(apt-get install chromium\)/);
    // No execute bit: refused even for root.
    expect(await chromiumProblem(plain)).toMatch(/plain not executable; /);
    for (const problem of [missing, await chromiumProblem(dir)]) expect(problem).not.toContain('\n');
  });
});
