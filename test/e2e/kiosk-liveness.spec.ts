/**
 * The kiosk's liveness challenge in Chromium, end to end, with fake-camera videos built at test time from real
 * media (see liveness-video.ts).
 *
 * It drives the real server through the liveness contract: a still photo held to the camera is refused under
 * `challenge`, and so is a single photo sent through the API. (A real head-turn clip replayed through the kiosk's
 * capture schedule does not pass yet; the same clip's frames pass the server's checks in
 * test/medium/liveness/liveness-api.spec.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../fixtures/sample-faces.js';
import { ApiSetup } from './e2e-fixtures.js';
import {
  buildWeb,
  launchBrowser,
  type RunningFacegate,
  screenshot,
  startFacegate,
  watchConsole,
} from './e2e-kit.js';
import { stillPhotoVideo } from './liveness-video.js';

const LONG = 240_000;
/** Up to four challenges (the kiosk's retries), each ~10 s, before a final answer. */
const RESULT = { timeout: 120_000 };

describe('kiosk liveness challenge in Chromium', () => {
  let fg: RunningFacegate;
  let api: ApiSetup;
  let dir: string;
  const browsers: Browser[] = [];

  beforeAll(async () => {
    await buildWeb();
    fg = await startFacegate();
    api = new ApiSetup(fg);
    await api.settings({ livenessMode: 'challenge' });
    dir = await mkdtemp(join(tmpdir(), 'facegate-e2e-liveness-'));
  }, LONG);

  afterAll(async () => {
    for (const browser of browsers) await browser.close();
    await fg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, LONG);

  async function browserWith(video: string): Promise<Browser> {
    const browser = await launchBrowser(video);
    browsers.push(browser);
    return browser;
  }

  /** A kiosk page with `key` saved, on its start screen. */
  async function openKiosk(browser: Browser, key: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const { errors } = watchConsole(page);
    await page.goto(`${fg.url}/`);
    await page.getByLabel('Kiosk API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    return { page, errors };
  }

  async function kioskResult(page: Page): Promise<string> {
    const result = page.getByTestId('kiosk-result');
    await result.waitFor(RESULT);
    return ((await result.textContent()) ?? '').replace(/\s+/g, ' ');
  }

  it(
    'refuses a still photo held to the camera, and a single photo through the API',
    async () => {
      const photo = await faceCrop('s1-0');
      await api.ensureEmployee({ badge: 'L-1001', firstName: 'Ada', lastName: 'Lovelace', photo });
      const key = await api.kioskKey('Liveness kiosk (still photo)', { photoUpload: true });

      const single = await fetch(`${fg.url}/v1/authenticate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
        body: photo,
      });
      expect([400, 403]).toContain(single.status);
      expect(((await single.json()) as { error: { code: string } }).error.code).toBe('LIVENESS_REQUIRED');

      const still = join(dir, 'still.jpg');
      await writeFile(still, photo);
      const video = await stillPhotoVideo(still, join(dir, 'still.y4m'), 10);
      const { page, errors } = await openKiosk(await browserWith(video), key);
      // Challenge mode never offers the photo fallback, even where the kiosk's setting allows it.
      expect(await page.getByRole('button', { name: 'Use a photo instead' }).count()).toBe(0);
      const asked = page.waitForResponse((r) => r.url().endsWith('/v1/liveness/challenges'));
      await page.getByRole('button', { name: 'Start' }).click();
      expect((await asked).status()).toBe(201);
      await page.getByTestId('kiosk-progress').waitFor();
      await screenshot(page, 'kiosk-liveness-prompt');
      const answer = page.waitForResponse((r) => r.url().endsWith('/v1/authenticate'), RESULT);
      expect((await answer).status()).toBe(200);
      const text = await kioskResult(page);
      expect(text).not.toContain('Welcome');
      expect(text).toMatch(/Not recognised|Please try again/);
      expect(errors.filter((e) => !e.includes('/v1/'))).toEqual([]);
    },
    LONG,
  );
});
