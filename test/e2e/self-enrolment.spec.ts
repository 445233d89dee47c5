/**
 * Self-service enrolment in Chromium at phone size (390×844), end to end: the admin invites an employee, the
 * employee opens the link on a phone, consents, meets the liveness challenge and takes three photos, the admin
 * approves them in the review queue, and the kiosk welcomes the employee.
 *
 * The fake camera shows the frontal frame of the real head-turn clip of `../shared/media` (skipped without it).
 * A replay of that clip through the page's capture schedule does not pass the challenge yet (as at the kiosk,
 * see kiosk-liveness.spec.ts), so after the page's own attempt the challenge of the same invitation is passed with
 * the clip's key frames through the same API (`POST /v1/enrol/{token}/liveness`), and the page, reloaded, goes on
 * to the photos. Nothing is ever enrolled without a passed challenge.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyFrames } from '../../src/liveness/frame-decoder.js';
import { ApiSetup } from './e2e-fixtures.js';
import {
  buildWeb,
  launchBrowser,
  PASSWORD,
  type RunningFacegate,
  screenshot,
  startFacegate,
  watchConsole,
  writeY4m,
} from './e2e-kit.js';
import { CLIP_FRONTAL_SECOND, clipFrame, headTurnClip } from './liveness-video.js';

const LONG = 300_000;
const WAIT = { timeout: 120_000 };
const PHONE = { width: 390, height: 844 };
const clip = await headTurnClip();

describe.skipIf(!clip)('self-service enrolment in Chromium (needs ../shared/media)', () => {
  let fg: RunningFacegate;
  let api: ApiSetup;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    await buildWeb();
    fg = await startFacegate();
    api = new ApiSetup(fg);
    // The kiosk takes one photo (as the other web-UI tests); enrolment demands its challenge whatever this says.
    await api.settings({ livenessMode: 'off' });
    dir = await mkdtemp(join(tmpdir(), 'facegate-e2e-enrol-'));
    const frontal = await clipFrame(clip ?? '', CLIP_FRONTAL_SECOND, join(dir, 'frontal.jpg'));
    browser = await launchBrowser(await writeY4m(await readFile(frontal), join(dir, 'frontal.y4m'), 30));
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await fg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, LONG);

  async function adminPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await api.adminToken();
    await page.goto(`${fg.url}/admin`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  /** Passes the invitation's challenge with the clip's key frames, through the API the page uses. */
  async function passChallenge(token: string): Promise<void> {
    const frames = await decodeKeyFrames(clip ?? '', { frames: 12, maxSide: 480 });
    let challenge: Awaited<ReturnType<typeof fg.app.services.selfEnrolment.issueChallenge>> | undefined;
    for (let i = 0; i < 2000 && !challenge; i++) {
      const c = await fg.app.services.selfEnrolment.issueChallenge(token, '127.0.0.1');
      if (c.actions.join() === 'turn_right,turn_left') challenge = c;
    }
    if (!challenge) throw new Error('no turn_right,turn_left challenge drawn');
    const issuedAt = Date.parse(challenge.expiresAt) - 60_000;
    const form = new FormData();
    form.set('challengeId', challenge.id);
    form.set('nonce', challenge.nonce);
    form.set('timestamps', JSON.stringify(frames.map((f) => issuedAt + 200 + f.timestampMs)));
    for (const [i, f] of frames.entries())
      form.append('frames', new Blob([f.jpeg], { type: 'image/jpeg' }), `f${i}.jpg`);
    const res = await fetch(`${fg.url}/v1/enrol/${token}/liveness`, { method: 'POST', body: form });
    expect(((await res.json()) as { outcome: string }).outcome).toBe('pass');
  }

  it(
    'invitation → consent → challenge → photos → submitted; the admin approves; the kiosk welcomes',
    async () => {
      await api.call('POST', '/v1/employees', { badge: 'S-2001', firstName: 'Zubair', lastName: 'Self' });

      // The admin invites the employee and gets the link (with its QR code).
      const admin = await adminPage();
      await admin.getByRole('link', { name: 'Invitations' }).click();
      await admin.getByLabel(/Badges/).fill('S-2001');
      await admin.getByRole('button', { name: /Create 1 invitation/ }).click();
      const created = admin.getByTestId('created-invitations');
      await created.waitFor(WAIT);
      await created.getByRole('button', { name: 'Show QR code' }).click();
      await created.locator('img.invitation-qr').waitFor();
      await screenshot(admin, 'enrol-1-invitation');
      const link = await created.getByLabel('Enrolment link').inputValue();
      expect(link).toMatch(new RegExp(`^${fg.url}/enrol/[A-Za-z0-9_-]{32}$`));
      const token = link.split('/enrol/')[1] ?? '';

      // The employee opens it on a phone: consent first.
      const phone = await (await browser.newContext({ viewport: PHONE })).newPage();
      const { errors } = watchConsole(phone);
      await phone.goto(link);
      await phone.getByRole('heading', { name: 'Hello Zubair' }).waitFor(WAIT);
      await screenshot(phone, 'enrol-2-consent');
      await phone.getByRole('button', { name: 'I agree, continue' }).click();

      // The liveness challenge, prompted on the page (the kiosk's capture code).
      await phone.getByRole('heading', { name: 'Show that you are here' }).waitFor(WAIT);
      const answered = phone.waitForResponse((r) => r.url().endsWith(`/v1/enrol/${token}/liveness`), WAIT);
      await phone.getByRole('button', { name: 'Start' }).click();
      await phone.getByTestId('enrol-prompt').waitFor(WAIT);
      await screenshot(phone, 'enrol-3-challenge');
      expect((await answered).status()).toBe(200);
      // A still picture never passes; the photos are refused without a passed challenge.
      const early = await fetch(`${fg.url}/v1/enrol/${token}/submission`, {
        method: 'POST',
        body: new FormData(),
      });
      expect(early.status).toBeGreaterThanOrEqual(400);
      await passChallenge(token);
      await phone.reload();

      // Three photos, previewed (each can be retaken), then submitted.
      await phone.getByRole('heading', { name: 'Take your photos' }).waitFor(WAIT);
      for (let i = 0; i < 3; i++) {
        await phone.getByTestId('enrol-take').click();
        await phone.locator('.enrol__shot img').nth(i).waitFor();
      }
      await screenshot(phone, 'enrol-4-photos');
      await phone.getByTestId('enrol-submit').click();
      const status = phone.getByTestId('enrol-status');
      await status.waitFor(WAIT);
      expect(await status.getAttribute('data-status')).toBe('pending');
      await screenshot(phone, 'enrol-5-submitted');

      // The admin approves in the review queue.
      await admin.getByRole('link', { name: 'Review' }).click();
      const item = admin.getByTestId('review-item').filter({ hasText: 'S-2001' });
      await item.waitFor(WAIT);
      await item.locator('img').first().waitFor();
      await screenshot(admin, 'enrol-6-review');
      await item.getByRole('button', { name: 'Approve' }).click();
      await admin.getByText('Approved: the face is enrolled.').waitFor(WAIT);

      // The same link shows the outcome.
      await phone.reload();
      await phone.locator('[data-testid="enrol-status"][data-status="approved"]').waitFor(WAIT);
      await screenshot(phone, 'enrol-7-approved');

      // The kiosk welcomes the employee.
      const key = await api.kioskKey('Enrolment kiosk');
      const kiosk = await (await browser.newContext({ viewport: PHONE })).newPage();
      await kiosk.goto(`${fg.url}/`);
      await kiosk.getByLabel('Kiosk API key').fill(key);
      await kiosk.getByRole('button', { name: 'Save key' }).click();
      await kiosk.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
      await kiosk.getByRole('button', { name: 'Start' }).click();
      const result = kiosk.getByTestId('kiosk-result');
      await result.waitFor(WAIT);
      expect(((await result.textContent()) ?? '').replace(/\s+/g, ' ')).toContain('Welcome, Zubair Self');
      await screenshot(kiosk, 'enrol-8-kiosk-welcome');
      expect(errors.filter((e) => !e.includes('/v1/'))).toEqual([]);
    },
    LONG,
  );
});
