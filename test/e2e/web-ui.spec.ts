import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, groupPhoto, transform } from '../fixtures/sample-faces.js';
import {
  buildWeb,
  controlCount,
  horizontalOverflow,
  launchBrowser,
  PASSWORD,
  type RunningFacegate,
  screenshot,
  startFacegate,
  unlabelledControls,
  watchConsole,
  writeCalibration,
  writeY4m,
  writeZip,
} from './e2e-kit.js';

const LONG = 240_000;
/** True once an <img> has decoded a real picture. */
const imageLoaded = (img: unknown): boolean => {
  const i = img as { complete: boolean; naturalWidth: number };
  return i.complete && i.naturalWidth > 0;
};
const WAIT = { timeout: 120_000 };

describe('facegate web UI in Chromium', () => {
  let fg: RunningFacegate;
  let browser: Browser;
  let dir: string;
  const files = { ada: '', group: '', other: '', adaVideo: '', otherVideo: '' };
  const state = { employeeId: '', kioskKey: '', photoId: '' };

  beforeAll(async () => {
    await buildWeb();
    fg = await startFacegate({ security: { lockoutThreshold: 3, lockoutHardCap: 50 } });
    dir = await mkdtemp(join(tmpdir(), 'facegate-e2e-files-'));
    const ada = await faceCrop('s1-0');
    const other = await faceCrop('s2-0');
    files.ada = join(dir, 'ada.jpg');
    files.group = join(dir, 'group.jpg');
    files.other = join(dir, 'other.jpg');
    await writeFile(files.ada, ada);
    await writeFile(files.group, await groupPhoto(5));
    await writeFile(files.other, other);
    // The webcam sees a mirrored, re-cropped shot of the enrolled face: not the enrolled bytes.
    files.adaVideo = await writeY4m(await transform(ada, 'flip'), join(dir, 'ada.y4m'));
    files.otherVideo = await writeY4m(other, join(dir, 'other.y4m'));
    browser = await launchBrowser();
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await fg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, LONG);

  async function newPage(b: Browser = browser, viewport = { width: 1280, height: 800 }) {
    const context = await b.newContext({ viewport });
    const page = await context.newPage();
    return { context, page, console: watchConsole(page) };
  }

  async function signIn(page: Page, username: string): Promise<void> {
    await page.goto(`${fg.url}/admin`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function checkPage(
    page: Page,
    sizes = [
      { width: 1280, height: 800 },
      { width: 768, height: 1024 },
    ],
  ) {
    expect(await controlCount(page)).toBeGreaterThanOrEqual(0);
    expect(await unlabelledControls(page)).toEqual([]);
    for (const size of sizes) {
      await page.setViewportSize(size);
      expect(
        await horizontalOverflow(page),
        `overflow at ${size.width}×${size.height} on ${page.url()}`,
      ).toBe(0);
    }
    await page.setViewportSize(sizes[0] ?? { width: 1280, height: 800 });
  }

  async function openKiosk(b: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const { context, page, console } = await newPage(b);
    await page.goto(`${fg.url}/`);
    await page.getByRole('heading', { name: 'Kiosk set-up' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Kiosk API key').fill(state.kioskKey);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    return { context, page, errors: console.errors };
  }

  async function kioskUpload(page: Page, file: string): Promise<string> {
    await page.getByRole('button', { name: 'Use a photo instead' }).click();
    await page.getByLabel('Choose a photo of your face').setInputFiles(file);
    const result = page.getByTestId('kiosk-result');
    await result.waitFor(WAIT);
    return (await result.innerText()).replace(/\s+/g, ' ');
  }

  it('serves the pages with a strict CSP, no-cache HTML and immutable hashed assets', async () => {
    for (const path of ['/', '/admin', '/admin/employees']) {
      const res = await fetch(`${fg.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("media-src 'self' blob: mediastream:");
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      const asset = /src="(\/assets\/[\w-]+-[\w-]{8}\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await fetch(`${fg.url}${asset}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${fg.url}/assets/missing-00000000.js`)).status).toBe(404);
  });

  it(
    'runs first-run setup, login, creates an employee and enrolls two photos with per-photo reasons',
    async () => {
      const { context, page, console } = await newPage();
      await page.goto(`${fg.url}/admin`);
      await page.getByRole('heading', { name: 'First-run set-up' }).waitFor();
      await checkPage(page);
      await page.getByLabel('Set-up token').fill(fg.setupToken);
      await page.getByLabel('Administrator username').fill('admin');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Repeat the password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.getByRole('heading', { name: 'Employees' }).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await checkPage(page);
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Employees' }).waitFor();

      await page.getByRole('link', { name: 'Add employee' }).click();
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill('Lovelace');
      await page.getByLabel('Badge number').fill('E-1001');
      await page.getByLabel('Department').fill('Research');
      await page.getByLabel('E-mail').fill('ada@example.com');
      await checkPage(page);
      await page.getByRole('button', { name: 'Create employee' }).click();
      await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
      state.employeeId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
      expect(state.employeeId).toMatch(/^[0-9a-f-]{36}$/);

      await page.getByLabel('Choose face photos to enroll').setInputFiles([files.ada, files.group]);
      const accepted = page.locator('.upload-result--accepted', { hasText: 'ada.jpg' });
      const rejected = page.locator('.upload-result--rejected', { hasText: 'group.jpg' });
      await accepted.waitFor(WAIT);
      await rejected.waitFor(WAIT);
      expect(await rejected.innerText()).toContain('MULTIPLE_FACES');
      const enrolled = page.getByTestId('face-grid').locator('img');
      await enrolled.first().waitFor();
      expect(await enrolled.count()).toBe(1);
      expect(await enrolled.first().evaluate(imageLoaded)).toBe(true);
      await screenshot(page, 'admin-enroll');
      await checkPage(page);

      // Two more employees through the API (same session), for a realistic list.
      const me = (await (await page.request.get(`${fg.url}/v1/auth/me`)).json()) as { csrfToken: string };
      const headers = { 'x-csrf-token': me.csrfToken };
      for (const [badge, firstName, lastName, crop] of [
        ['E-1002', 'Grace', 'Hopper', 's3-0'],
        ['E-1003', 'Katherine', 'Johnson', 's4-0'],
      ] as const) {
        const created = await page.request.post(`${fg.url}/v1/employees`, {
          headers,
          data: { badge, firstName, lastName, department: 'Engineering' },
        });
        expect(created.status()).toBe(201);
        const { id } = (await created.json()) as { id: string };
        const faces = await page.request.post(`${fg.url}/v1/employees/${id}/faces`, {
          headers,
          multipart: {
            photo: { name: `${badge}.jpg`, mimeType: 'image/jpeg', buffer: await faceCrop(crop) },
          },
        });
        expect(faces.status()).toBe(200);
      }
      // The list carries each employee's face count and thumbnail: no per-row template request.
      const faceRequests: string[] = [];
      page.on('request', (r) => {
        if (/\/v1\/employees\/[^/]+\/faces/.test(r.url())) faceRequests.push(r.url());
      });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Employees' }).click();
      const rows = page.getByTestId('employee-table').locator('tbody tr');
      await rows.nth(2).waitFor();
      const thumbs = page.getByTestId('employee-table').locator('img.thumb');
      await thumbs.nth(2).waitFor();
      for (let i = 0; i < 3; i++) {
        await expect.poll(() => thumbs.nth(i).evaluate(imageLoaded)).toBe(true);
      }
      expect(faceRequests).toEqual([]);
      // Columns: photo, name, badge, department, faces, status.
      expect(await rows.filter({ hasText: 'Lovelace' }).locator('td').nth(4).textContent()).toBe('1');
      await screenshot(page, 'admin-employees');
      await page.getByLabel('Search employees').fill('lovelace');
      await expect.poll(() => rows.count()).toBe(1);
      await checkPage(page);
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'creates a kiosk key and an auditor, and renders settings, audit and import pages',
    async () => {
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.getByRole('link', { name: 'API keys' }).click();
      await page.getByLabel('Key name').fill('Front door');
      await page.getByLabel('Role').selectOption('kiosk');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByTestId('new-key').waitFor();
      state.kioskKey = await page.getByLabel('New API key').inputValue();
      expect(state.kioskKey).toMatch(/^fg_/);
      await page.getByTestId('key-table').getByText('Front door').waitFor();
      await checkPage(page);

      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByLabel('Username').fill('audrey');
      await page.getByLabel('Initial password').fill(PASSWORD);
      await page.getByLabel('Role', { exact: true }).selectOption('auditor');
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.getByTestId('user-table').getByRole('cell', { name: 'audrey', exact: true }).waitFor();
      await checkPage(page);

      await writeCalibration(fg.dataDir);
      await page.getByRole('link', { name: 'Settings' }).click();
      const verifyPresets = page.getByRole('radiogroup', { name: /Verification \(1:1/ });
      const identifyPresets = page.getByRole('radiogroup', { name: /Kiosk identification \(1:N/ });
      await verifyPresets.getByRole('radio', { name: /Balanced/ }).waitFor();
      await page.getByRole('img', { name: /ROC curve/ }).waitFor();
      expect(await verifyPresets.locator('.radio-card', { hasText: 'Balanced' }).innerText()).toMatch(
        /Expected false-accept rate per comparison: 0\.0080 % \(1 in 12,500\)/,
      );
      expect(await identifyPresets.getByRole('radio', { name: /Strict/ }).isChecked()).toBe(true);
      await checkPage(page);
      await verifyPresets.getByRole('radio', { name: /Strict/ }).check();
      await identifyPresets.getByRole('radio', { name: /Balanced/ }).check();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      const saved = (await (await page.request.get(`${fg.url}/v1/settings`)).json()) as {
        thresholdPreset: string;
        identifyPreset: string;
      };
      expect(saved).toMatchObject({ thresholdPreset: 'strict', identifyPreset: 'balanced' });
      await verifyPresets.getByRole('radio', { name: /Balanced/ }).check();
      await identifyPresets.getByRole('radio', { name: /Strict/ }).check();
      // The kiosk welcome shows the enrolled photo from now on (checked in the webcam test).
      await page.getByLabel(/enrollment photo on the kiosk welcome screen/).check();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      const showsPhoto = async () =>
        ((await (await page.request.get(`${fg.url}/v1/settings`)).json()) as { kioskShowPhoto: boolean })
          .kioskShowPhoto;
      await expect.poll(showsPhoto).toBe(true);

      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByTestId('audit-table').getByText('employee.create').first().waitFor();
      await checkPage(page);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk import' }).click();
      await page.getByRole('heading', { name: 'Bulk import' }).waitFor();
      await checkPage(page);
      const mary = await faceCrop('s5-0');
      const zip = await writeZip(join(dir, 'people.zip'), [
        { name: 'people/E-2001_Mary_Jackson.jpg', data: mary },
        { name: 'people/E-2001_Mary_Jackson_2.jpg', data: await transform(mary, 'crop') },
        { name: 'people/E-2002_Dorothy_Vaughan.jpg', data: await groupPhoto(3) },
        { name: 'people/readme.txt', data: Buffer.from('not a photo') },
      ]);
      await page.getByLabel('Choose photos, a zip or a manifest').setInputFiles(zip);
      await page.getByText('2 employee(s), 3 photo(s), 1 file(s) skipped.').waitFor();
      await page.getByRole('button', { name: 'Start import' }).click();
      const report = page.getByTestId('import-report');
      await report.waitFor(WAIT);
      expect(await page.locator('#import-progress').getAttribute('value')).toBe('3');
      expect(await report.innerText()).toContain('2 photo(s) accepted, 2 rejected or skipped.');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download report of rejected photos (CSV)' }).click(),
      ]);
      const csv = await readFile((await download.path()) ?? '', 'utf8');
      expect(csv.split('\r\n')[0]).toBe('file,badge,name,outcome,reason');
      expect(csv).toMatch(
        /"people\/E-2002_Dorothy_Vaughan\.jpg","E-2002","Dorothy Vaughan","rejected","MULTIPLE_FACES/,
      );
      expect(csv).toContain('"people/readme.txt"');
      // Dorothy's only photo was refused: she is not left behind as an employee without a face.
      const imported = async (badge: string) =>
        (
          (await (await page.request.get(`${fg.url}/v1/employees?search=${badge}`)).json()) as {
            items: Array<{ badge: string; templateCount: number }>;
          }
        ).items.filter((e) => e.badge === badge);
      expect(await imported('E-2002')).toEqual([]);
      expect((await imported('E-2001')).map((e) => e.templateCount)).toEqual([2]);
      await checkPage(page);
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'kiosk webcam path: the enrolled person is welcomed by name',
    async () => {
      const camBrowser = await launchBrowser(files.adaVideo);
      try {
        const { page, errors } = await openKiosk(camBrowser);
        // Hold the first answer until the live preview has been photographed for the docs.
        let release: () => void = () => undefined;
        const held = new Promise<void>((r) => {
          release = r;
        });
        let first = true;
        await page.route('**/v1/authenticate', async (route) => {
          if (first) {
            first = false;
            await held;
          }
          await route.continue();
        });
        await page.getByRole('button', { name: 'Start' }).waitFor();
        await page.keyboard.press('Enter');
        await page.getByTestId('kiosk-status').filter({ hasText: 'Checking' }).waitFor(WAIT);
        await screenshot(page, 'kiosk-camera');
        release();
        const result = page.getByTestId('kiosk-result');
        await result.waitFor(WAIT);
        expect((await result.innerText()).replace(/\s+/g, ' ')).toContain('Welcome, Ada Lovelace');
        expect(await result.innerText()).not.toMatch(/\d\.\d|score|%/i);
        // kiosk.showPhoto is on: the enrolled photo, read with the kiosk key through the match's short-lived link.
        const welcomePhoto = result.locator('img.result__photo');
        await welcomePhoto.waitFor();
        await expect.poll(() => welcomePhoto.evaluate(imageLoaded)).toBe(true);
        await screenshot(page, 'kiosk-welcome');
        await checkPage(page);
        expect(errors).toEqual([]);

        // Enrollment from the webcam on the admin page (same fake camera).
        const admin = await camBrowser.newContext({ viewport: { width: 1280, height: 800 } });
        const adminPage = await admin.newPage();
        const adminConsole = watchConsole(adminPage);
        await signIn(adminPage, 'admin');
        await adminPage.goto(`${fg.url}/admin/employees/${state.employeeId}`);
        await adminPage.getByRole('button', { name: 'Use the webcam' }).click();
        const take = adminPage.getByRole('button', { name: 'Take photo' });
        await expect.poll(() => take.isEnabled(), WAIT).toBe(true);
        await take.click();
        await adminPage.locator('.upload-result--accepted', { hasText: 'webcam-1.jpg' }).waitFor(WAIT);
        await expect.poll(() => adminPage.getByTestId('face-grid').locator('img').count()).toBe(2);
        expect(adminConsole.errors).toEqual([]);
        await admin.close();
      } finally {
        await camBrowser.close();
      }
    },
    LONG,
  );

  it(
    "kiosk webcam path: a different person's video is refused",
    async () => {
      const camBrowser = await launchBrowser(files.otherVideo);
      try {
        const { page, errors } = await openKiosk(camBrowser);
        await page.getByRole('button', { name: 'Start' }).click();
        const result = page.getByTestId('kiosk-result');
        await result.waitFor(WAIT);
        const text = (await result.innerText()).replace(/\s+/g, ' ');
        expect(text).toContain('Not recognised');
        expect(text).not.toContain('Welcome');
        await screenshot(page, 'kiosk-refused');
        await checkPage(page);
        expect(errors).toEqual([]);
      } finally {
        await camBrowser.close();
      }
    },
    LONG,
  );

  it(
    'kiosk falls back to photo upload when there is no camera',
    async () => {
      const { context, page, errors } = await openKiosk(browser);
      await page.getByRole('button', { name: 'Start' }).click();
      await page.getByRole('heading', { name: /No camera found|The camera is not allowed/ }).waitFor(WAIT);
      await page.getByLabel('Choose a photo of your face').setInputFiles(files.ada);
      const result = page.getByTestId('kiosk-result');
      await result.waitFor(WAIT);
      expect((await result.innerText()).replace(/\s+/g, ' ')).toContain('Welcome, Ada Lovelace');
      expect(errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'an auditor reads the audit log but cannot open photos',
    async () => {
      const admin = await newPage();
      await signIn(admin.page, 'admin');
      const faces = (await (
        await admin.page.request.get(`${fg.url}/v1/employees/${state.employeeId}/faces`)
      ).json()) as { items: Array<{ photoId: string | null }> };
      state.photoId = faces.items[0]?.photoId ?? '';
      expect(state.photoId).not.toBe('');
      const photoUrl = `${fg.url}/v1/employees/${state.employeeId}/photos/${state.photoId}`;
      expect((await admin.page.request.get(photoUrl)).status()).toBe(200);
      await admin.context.close();

      const { context, page, console } = await newPage();
      await signIn(page, 'audrey');
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Audit log' }).waitFor();
      expect(await nav.getByRole('link', { name: 'API keys' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
      await nav.getByRole('link', { name: 'Audit log' }).click();
      await page.getByTestId('audit-table').getByText('authenticate').first().waitFor();

      await page.goto(`${fg.url}/admin/employees/${state.employeeId}`);
      await page.getByTestId('photos-hidden').waitFor();
      expect(await page.locator('main img').count()).toBe(0);
      expect((await page.request.get(photoUrl)).status()).toBe(403);
      await page.goto(`${fg.url}/admin/employees`);
      await page.getByTestId('employee-table').getByText('Lovelace').waitFor();
      expect(await page.locator('main img').count()).toBe(0);
      await page.goto(`${fg.url}/admin/settings`);
      await page.getByText('Your role can read the settings but not change them.').waitFor();
      expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'deleting the employee erases them and the kiosk refuses them',
    async () => {
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.goto(`${fg.url}/admin/employees/${state.employeeId}`);
      await page.getByRole('button', { name: 'Delete employee…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      const text = await dialog.innerText();
      expect(text).toContain('Ada Lovelace');
      expect(text).toContain('E-1001');
      expect(text).toMatch(/every face template/);
      expect(text).toMatch(/enrollment photo/);
      await dialog.getByRole('button', { name: 'Delete permanently' }).click();
      await page.getByRole('heading', { name: 'Employees' }).waitFor();
      await page.getByTestId('employee-table').getByText('Hopper').waitFor();
      expect(await page.getByTestId('employee-table').getByText('Lovelace').count()).toBe(0);
      expect(console.errors).toEqual([]);
      await context.close();

      const kiosk = await openKiosk(browser);
      const result = await kioskUpload(kiosk.page, files.ada);
      expect(result).toContain('Not recognised');
      expect(result).not.toContain('Ada');
      expect(kiosk.errors).toEqual([]);
      await kiosk.context.close();
    },
    LONG,
  );

  it(
    'shows the lockout message after repeated failures',
    async () => {
      const { context, page, errors } = await openKiosk(browser);
      let text = '';
      for (let attempt = 0; attempt < 8 && !text.includes('Too many attempts'); attempt++) {
        text = await kioskUpload(page, files.other);
        if (!text.includes('Too many attempts')) {
          expect(text).toContain('Not recognised');
          await page.getByRole('button', { name: 'Try again' }).click();
        }
      }
      expect(text).toContain('Too many attempts');
      expect(text).toContain('contact an administrator');
      await screenshot(page, 'kiosk-locked');
      // The only console errors allowed are the browser's own notes on the 429 answers.
      expect(errors.filter((e) => !/status of 429/.test(e))).toEqual([]);
      await context.close();
    },
    LONG,
  );
});
