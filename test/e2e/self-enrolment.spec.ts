/**
 * Self-service enrolment in Chromium at phone size (390×844), end to end: the admin invites an employee, the
 * employee opens the link on a phone, consents, meets the page's liveness challenge with the real head-turn clip
 * of `../shared/media` as the phone's camera (skipped without it), takes three photos of the same man, the admin
 * approves them in the review queue, and the kiosk welcomes him.
 *
 * How the clip meets a RANDOM challenge, with no hook in the product (as at the kiosk, see kiosk-liveness.spec.ts):
 * the server issues challenges per request and keeps every one open until it is answered or expires, each bound to
 * the invitation. Chromium reads its fake-camera video when the page opens the camera, which the page does right
 * after consent, before it asks for its challenge. So while the page's consent request is answered (the server
 * records the consent; the answer reaches the page unchanged, only later, as on a slow network), the test (1) draws
 * challenges for the invitation (through the service the page's challenge route calls, with the public `exclude`
 * parameter) until one uses only the clip's turns, leaving the others to expire; (2) cuts the clip's turns in
 * that order on the page's own capture schedule (the kiosk's `captureChallenge`), followed by the man facing the
 * camera for the photos; (3) hands the page that challenge when it asks for one (`page.route`; the server's
 * challenge for the same invitation, unused). The employee presses Start at the video's pre-roll. The server
 * checks the page's frames of the clip exactly as for a person; the test answers nothing through the API.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChallengeDto, LivenessAction } from '../../src/web/client/shared/liveness-types.js';
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
import {
  CLIP_ACTIONS,
  CLIP_FRONTAL_SECOND,
  clipFrame,
  headTurnClip,
  PREROLL_MS,
  promptedClipVideo,
  promptedSeconds,
} from './liveness-video.js';

const LONG = 300_000;
const WAIT = { timeout: 120_000 };
const PHONE = { width: 390, height: 844 };
/** Seconds of the man facing the camera after the challenge: the server's analysis, then the three photos. */
const PHOTO_SECONDS = 40;
/**
 * When the employee presses Start, in seconds of the camera's picture (the page's `<video>` clock, which starts a
 * little after the camera does): the video's pre-roll, so that the page's first prompt meets the clip's turn.
 */
const START_AT = (PREROLL_MS - 200) / 1000;
const clip = await headTurnClip();

describe.skipIf(!clip)('self-service enrolment in Chromium (needs ../shared/media)', () => {
  let fg: RunningFacegate;
  let api: ApiSetup;
  let dir: string;
  let frontal: Buffer;
  /** The admin console and the kiosk: a camera showing the clip's frontal frame. */
  let browser: Browser;
  /** The employee's phone: a camera showing the clip, built for the challenge once it is drawn. */
  let phoneBrowser: Browser;
  let phoneVideo: string;

  beforeAll(async () => {
    await buildWeb();
    // The flow is not about load: a busy shared test machine must not answer it 503.
    fg = await startFacegate();
    api = new ApiSetup(fg);
    // The kiosk takes one photo (as the other web-UI tests); enrolment demands its challenge whatever this says.
    await api.settings({ livenessMode: 'off' });
    dir = await mkdtemp(join(tmpdir(), 'facegate-e2e-enrol-'));
    frontal = await readFile(await clipFrame(clip ?? '', CLIP_FRONTAL_SECOND, join(dir, 'frontal.jpg')));
    browser = await launchBrowser(await writeY4m(frontal, join(dir, 'frontal.y4m'), 30));
    phoneVideo = join(dir, 'phone.y4m');
    phoneBrowser = await launchBrowser(phoneVideo);
  }, LONG);

  afterAll(async () => {
    await phoneBrowser?.close();
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

  /**
   * A challenge of the invitation that the clip can answer (turns only), drawn through the service the page's
   * `POST /v1/enrol/{token}/challenge` calls (in process: the anonymous routes allow 30 requests a minute).
   */
  async function challengeForClip(token: string): Promise<ChallengeDto> {
    const exclude: LivenessAction[] = ['blink', 'come_closer'];
    for (let i = 0; i < 60; i++) {
      const c = await fg.app.services.selfEnrolment.issueChallenge(token, '127.0.0.1', { exclude });
      if (c.actions.every((a) => CLIP_ACTIONS.includes(a)))
        return { ...c, actions: [...c.actions], frames: { ...c.frames } };
    }
    throw new Error(`no challenge in 60 used only ${CLIP_ACTIONS.join(' and ')}`);
  }

  /**
   * Lets the page's consent request through and, before its answer reaches the page (which then opens the
   * camera), draws the challenge and writes the phone's video for it. `challenge` resolves once that is done.
   */
  async function prepareOnConsent(phone: Page, token: string): Promise<{ challenge: Promise<ChallengeDto> }> {
    let prepare: ((route: Route) => Promise<void>) | undefined;
    const challenge = new Promise<ChallengeDto>((resolve, reject) => {
      prepare = async (route) => {
        try {
          const response = await route.fetch();
          expect(response.status()).toBe(204);
          const drawn = await challengeForClip(token);
          await promptedClipVideo(clip ?? '', drawn.actions, drawn.frames, phoneVideo, {
            frontalTail: PHOTO_SECONDS,
          });
          await route.fulfill({ response });
          resolve(drawn);
        } catch (error) {
          reject(error);
          await route.abort().catch(() => undefined);
        }
      };
    });
    challenge.catch(() => undefined); // awaited by the test; not an unhandled rejection if an earlier step fails
    await phone.route(`**/v1/enrol/${token}/consent`, (route) => prepare?.(route), { times: 1 });
    return { challenge };
  }

  /** How long the page's camera picture has played, in seconds (the `<video>` element's clock); in the page. */
  const videoClock = (): number => {
    const page = globalThis as unknown as {
      document: { querySelector(selector: string): { currentTime: number } | null };
    };
    return page.document.querySelector('[data-testid="enrol-video"]')?.currentTime ?? 0;
  };

  /** Waits until the page's camera picture has played `seconds`. */
  const playing = (page: Page, seconds: number) =>
    page.waitForFunction(
      (s) => {
        const doc = globalThis as unknown as {
          document: { querySelector(selector: string): { currentTime: number } | null };
        };
        return (doc.document.querySelector('[data-testid="enrol-video"]')?.currentTime ?? 0) >= s;
      },
      seconds,
      WAIT,
    );

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
      const phone = await (await phoneBrowser.newContext({ viewport: PHONE })).newPage();
      const { errors } = watchConsole(phone);
      const prepared = await prepareOnConsent(phone, token);
      await phone.goto(link);
      await phone.getByRole('heading', { name: 'Hello Zubair' }).waitFor(WAIT);
      await screenshot(phone, 'enrol-2-consent');
      await phone.getByRole('button', { name: 'I agree, continue' }).click();
      const challenge = await prepared.challenge;

      // Photos are refused before a passed challenge, whoever sends them.
      const early = new FormData();
      for (let i = 0; i < 3; i++)
        early.append('photos', new Blob([frontal], { type: 'image/jpeg' }), `p${i}.jpg`);
      const refused = await fetch(`${fg.url}/v1/enrol/${token}/submission`, {
        method: 'POST',
        body: early,
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('LIVENESS_REQUIRED');

      // The liveness challenge, prompted on the page (the kiosk's capture code), met by the clip on the camera.
      await phone.getByRole('heading', { name: 'Show that you are here' }).waitFor(WAIT);
      await phone.route(
        `**/v1/enrol/${token}/challenge`,
        (route) =>
          route.fulfill({ status: 201, contentType: 'application/json', body: JSON.stringify(challenge) }),
        { times: 1 },
      );
      const answered = phone.waitForResponse((r) => r.url().endsWith(`/v1/enrol/${token}/liveness`), WAIT);
      answered.catch(() => undefined); // awaited below; not an unhandled rejection if an earlier step fails
      await playing(phone, START_AT);
      await phone.getByRole('button', { name: 'Start' }).click();
      const first =
        challenge.actions[0] === 'turn_left' ? 'Turn your head to your left' : 'Turn your head to your right';
      await phone.getByTestId('enrol-prompt').filter({ hasText: first }).waitFor({ timeout: 30_000 });
      await screenshot(phone, 'enrol-3-challenge');
      const answer = await answered;
      expect(answer.status()).toBe(200);
      expect(((await answer.json()) as { outcome: string }).outcome).toBe('pass');
      // The server checked the page's frames of the clip: every check passed, on the first challenge.
      const { items } = await fg.app.store.audit.query({ action: 'enrolment.liveness', limit: 10 });
      expect(items.map((e) => e.outcome)).toEqual(['success']);
      const details = items[0]?.details as { checks?: Array<{ check: string; passed: boolean }> } | undefined;
      expect(details?.checks?.length).toBeGreaterThan(0);
      expect(details?.checks?.filter((c) => !c.passed)).toEqual([]);

      // Three photos, previewed (each can be retaken), then submitted.
      await phone.getByRole('heading', { name: 'Take your photos' }).waitFor(WAIT);
      // He faces the camera for them (the clip's frontal frames, after the challenge's part of the video).
      const tail = promptedSeconds(challenge.actions, challenge.frames);
      await playing(phone, tail);
      for (let i = 0; i < 3; i++) {
        await phone.getByTestId('enrol-take').click();
        await phone.locator('.enrol__shot img').nth(i).waitFor();
      }
      const at = await phone.evaluate(videoClock);
      expect(at, 'the photos were taken before the video looped back to the turns').toBeLessThan(
        tail + PHOTO_SECONDS,
      );
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
