import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, groupPhoto, transform } from '../fixtures/sample-faces.js';
import { axeViolations } from './axe-check.js';
import { ApiSetup, type EmployeeSeed } from './e2e-fixtures.js';
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

/**
 * Every test sets up what it needs through the API (`ApiSetup`: first-run set-up, employees, keys, users,
 * settings), so each one runs alone (`-t "<name>"`) or in any subset. They share one server and one browser; the
 * two that need a server of their own (first-run set-up, lockout) start one.
 */
describe('facegate web UI in Chromium', () => {
  let fg: RunningFacegate;
  let api: ApiSetup;
  let browser: Browser;
  let dir: string;
  const files = { ada: '', group: '', other: '', adaVideo: '', otherVideo: '' };
  const people: Record<'ada' | 'grace' | 'katherine', Omit<EmployeeSeed, 'photo'> & { crop: string }> = {
    ada: { badge: 'E-1001', firstName: 'Ada', lastName: 'Lovelace', department: 'Research', crop: 's1-0' },
    grace: {
      badge: 'E-1002',
      firstName: 'Grace',
      lastName: 'Hopper',
      department: 'Engineering',
      crop: 's3-0',
    },
    katherine: {
      badge: 'E-1003',
      firstName: 'Katherine',
      lastName: 'Johnson',
      department: 'Engineering',
      crop: 's4-0',
    },
  };

  beforeAll(async () => {
    await buildWeb();
    fg = await startFacegate();
    api = new ApiSetup(fg);
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

  /** The employee enrolled with their sample face (found or created through the API); returns the id. */
  async function ensurePerson(who: keyof typeof people): Promise<string> {
    const { crop, ...seed } = people[who];
    return api.ensureEmployee({ ...seed, photo: await faceCrop(crop) });
  }

  async function newPage(b: Browser = browser, viewport = { width: 1280, height: 800 }) {
    const context = await b.newContext({ viewport });
    const page = await context.newPage();
    return { context, page, console: watchConsole(page) };
  }

  async function signIn(page: Page, username: string, url = fg.url): Promise<void> {
    await page.goto(`${url}/admin`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /**
   * Labels and layout at two widths. `controls: false` for pages without form controls (kiosk answers), where the
   * label check has nothing to look at.
   */
  async function checkPage(
    page: Page,
    { controls = true } = {},
    sizes = [
      { width: 1280, height: 800 },
      { width: 768, height: 1024 },
    ],
  ) {
    expect(await axeViolations(page)).toEqual([]);
    const count = await controlCount(page);
    if (controls) expect(count, `form controls on ${page.url()}`).toBeGreaterThan(0);
    else expect(count, `form controls on ${page.url()}`).toBe(0);
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

  /**
   * A kiosk page with a new kiosk key of its own (so no other test's failures count against it), with the photo
   * fallback turned on for it (the tests upload photos where a person would face the camera).
   */
  async function openKiosk(
    b: Browser,
    setup: ApiSetup = api,
    url = fg.url,
    { photoUpload = true } = {},
  ): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const key = await setup.kioskKey('Kiosk under test', { photoUpload });
    const { context, page, console } = await newPage(b);
    await page.goto(`${url}/`);
    await page.getByRole('heading', { name: 'Kiosk set-up' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Kiosk API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
    return { context, page, errors: console.errors };
  }

  async function kioskUpload(page: Page, file: string): Promise<string> {
    // From idle, "Use a photo instead"; after "Try again" (camera restarted, none here) the upload form is shown.
    const input = page.getByLabel('Choose a photo of your face');
    const button = page.getByRole('button', { name: 'Use a photo instead' });
    await input.or(button).first().waitFor({ state: 'attached' });
    if ((await input.count()) === 0) await button.click().catch(() => undefined);
    await input.setInputFiles(file);
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
      expect(asset, `hashed script of ${path}`).toMatch(/^\/assets\//);
      const js = await fetch(`${fg.url}${asset}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${fg.url}/assets/missing-00000000.js`)).status).toBe(404);
  });

  it(
    'runs first-run setup on a new server, then signs out and back in',
    async () => {
      // A server of its own: first-run set-up happens once per server, and the shared one may be set up already.
      const fresh = await startFacegate();
      try {
        const { context, page, console } = await newPage();
        await page.goto(`${fresh.url}/admin`);
        await page.getByRole('heading', { name: 'First-run set-up' }).waitFor();
        await checkPage(page);
        await page.getByLabel('Set-up token').fill(fresh.setupToken);
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
        expect(console.errors).toEqual([]);
        await context.close();
      } finally {
        await fresh.close();
      }
    },
    LONG,
  );

  it(
    'creates an employee and enrolls two photos with per-photo reasons; the list shows counts and thumbnails',
    async () => {
      // Ada is created here through the form, so she must not exist yet (other tests may have seeded her).
      await api.removeEmployee(people.ada.badge);
      await ensurePerson('grace');
      await ensurePerson('katherine');
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.getByRole('link', { name: 'Add employee' }).click();
      await page.getByLabel('First name').fill('Ada');
      await page.getByLabel('Last name').fill('Lovelace');
      await page.getByLabel('Badge number').fill('E-1001');
      await page.getByLabel('Department').fill('Research');
      await page.getByLabel('E-mail').fill('ada@example.com');
      await checkPage(page);
      await page.getByRole('button', { name: 'Create employee' }).click();
      await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
      const employeeId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
      expect(employeeId).toMatch(/^[0-9a-f-]{36}$/);

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
      // Columns: selection, photo, name, badge, department, faces, status.
      expect(await rows.filter({ hasText: 'Lovelace' }).locator('td[data-label="Faces"]').textContent()).toBe(
        '1',
      );
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
    'creates a kiosk key and an auditor on the admin pages',
    async () => {
      await api.adminToken();
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.getByRole('link', { name: 'API keys' }).click();
      await page.getByLabel('Key name').fill('Front door');
      await page.getByLabel('Role').selectOption('kiosk');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByTestId('new-key').waitFor();
      const kioskKey = await page.getByLabel('New API key').inputValue();
      expect(kioskKey).toMatch(/^fg_/);
      await page.getByTestId('key-table').getByText('Front door').first().waitFor();
      await checkPage(page);
      // The key shown once works at the kiosk endpoint (a face nobody enrolled: answered, not refused as a key).
      expect(await api.authenticate(kioskKey, await faceCrop('s2-0'))).toBe('no_match');

      const username = `audrey-${Date.now().toString(36)}`;
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Initial password').fill(PASSWORD);
      await page.getByLabel('Role', { exact: true }).selectOption('auditor');
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.getByTestId('user-table').getByRole('cell', { name: username, exact: true }).waitFor();
      await checkPage(page);
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'settings page shows the calibrated presets, saves them and the kiosk photo option',
    async () => {
      await api.adminToken();
      await writeCalibration(fg.dataDir);
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
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
      const saved = () =>
        api.call<{ thresholdPreset: string; identifyPreset: string; kioskShowPhoto: boolean }>(
          'GET',
          '/v1/settings',
        );
      expect(await saved()).toMatchObject({ thresholdPreset: 'strict', identifyPreset: 'balanced' });
      await verifyPresets.getByRole('radio', { name: /Balanced/ }).check();
      await identifyPresets.getByRole('radio', { name: /Strict/ }).check();
      const showPhoto = page.getByLabel(/enrollment photo on the kiosk welcome screen/);
      const wasShown = await showPhoto.isChecked();
      await showPhoto.setChecked(!wasShown);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      await expect.poll(async () => (await saved()).kioskShowPhoto).toBe(!wasShown);
      expect(await saved()).toMatchObject({ thresholdPreset: 'balanced', identifyPreset: 'strict' });
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'audit log and bulk import: a zip of photos, a refused person left out, a CSV of rejections',
    async () => {
      await ensurePerson('grace');
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
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
      // The import adds Mary's two photos: she must start without any.
      await api.removeEmployee('E-2001');
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
      expect(await api.findEmployee('E-2002')).toBeUndefined();
      expect((await api.findEmployee('E-2001'))?.templateCount).toBe(2);
      await checkPage(page);
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'kiosk webcam path: the enrolled person is welcomed by name, and the admin enrolls from the webcam',
    async () => {
      const employeeId = await ensurePerson('ada');
      await api.settings({ kioskShowPhoto: true });
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
        // The camera screen fits the viewport: the privacy footer is not cut off.
        expect(
          await page.evaluate(
            'document.documentElement.scrollHeight - document.documentElement.clientHeight',
          ),
        ).toBeLessThanOrEqual(0);
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
        await checkPage(page, { controls: false });
        expect(errors).toEqual([]);

        // Enrollment from the webcam on the admin page (same fake camera).
        const before = (await api.photoIds(employeeId)).length;
        const admin = await camBrowser.newContext({ viewport: { width: 1280, height: 800 } });
        const adminPage = await admin.newPage();
        const adminConsole = watchConsole(adminPage);
        await signIn(adminPage, 'admin');
        await adminPage.goto(`${fg.url}/admin/employees/${employeeId}`);
        await adminPage.getByRole('button', { name: 'Use the webcam' }).click();
        const take = adminPage.getByRole('button', { name: 'Take photo' });
        await expect.poll(() => take.isEnabled(), WAIT).toBe(true);
        await take.click();
        await adminPage.locator('.upload-result--accepted', { hasText: 'webcam-1.jpg' }).waitFor(WAIT);
        await expect.poll(() => adminPage.getByTestId('face-grid').locator('img').count()).toBe(before + 1);
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
      await ensurePerson('ada');
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
        await checkPage(page, { controls: false });
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
      await ensurePerson('ada');
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
      const employeeId = await ensurePerson('ada');
      await api.ensureUser('audrey', 'auditor');
      // A face login, so the audit log has an `authenticate` entry to show.
      expect(await api.authenticate(await api.kioskKey('Audit probe'), await faceCrop('s1-0'))).toBe('match');
      const [photoId] = await api.photoIds(employeeId);
      expect(photoId).toMatch(/\S/);
      const photoUrl = `${fg.url}/v1/employees/${employeeId}/photos/${photoId}`;
      const admin = await newPage();
      await signIn(admin.page, 'admin');
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

      await page.goto(`${fg.url}/admin/employees/${employeeId}`);
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
      const employeeId = await ensurePerson('ada');
      await ensurePerson('grace');
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.goto(`${fg.url}/admin/employees/${employeeId}`);
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
      expect(await api.findEmployee(people.ada.badge)).toBeUndefined();
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
    'bulk import of loose photos and of a folder: people created with links, refused files with reasons',
    async () => {
      await api.adminToken();
      for (const badge of ['E-3001', 'E-3002', 'E-3003']) await api.removeEmployee(badge);
      const annie = await faceCrop('s6-0');
      const put = async (name: string, data: Buffer): Promise<string> => {
        await writeFile(join(dir, name), data);
        return join(dir, name);
      };
      const loose = [
        await put('E-3001_Annie_Easley.jpg', annie),
        await put('E-3001_Annie_Easley_2.jpg', await transform(annie, 'crop')),
        await put('E-3002_Two_People.jpg', await groupPhoto(3)),
      ];
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.goto(`${fg.url}/admin/import`);
      await page.getByLabel('Choose photos, a zip or a manifest').setInputFiles(loose);
      await page.getByText('2 employee(s), 3 photo(s).').waitFor();
      const start = page.getByRole('button', { name: 'Start import' });
      await start.click();
      const report = page.getByTestId('import-report');
      await report.waitFor(WAIT);
      expect(await report.innerText()).toContain('2 photo(s) accepted, 1 rejected or skipped.');
      expect(await page.locator('.progress').innerText()).toContain(
        '3 of 3 photos sent: 2 accepted, 1 refused',
      );
      const created = page.getByTestId('import-created').getByRole('link', { name: 'Annie Easley' });
      expect(await created.getAttribute('href')).toMatch(/^\/admin\/employees\/[0-9a-f-]{36}$/);
      expect(await page.getByTestId('import-refused').innerText()).toContain('E-3002_Two_People.jpg');
      expect(await page.getByTestId('import-refused').innerText()).toContain('More than one face');
      expect(await page.getByRole('button', { name: 'Import done' }).isDisabled()).toBe(true);
      expect((await api.findEmployee('E-3001'))?.templateCount).toBe(2);
      expect(await api.findEmployee('E-3002')).toBeUndefined();

      const folder = join(dir, 'folder-import');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'E-3003_Evelyn_Boyd.jpg'), await faceCrop('s6-3'));
      await page.getByLabel('Choose a folder of photos').setInputFiles(folder);
      await page.getByText('1 employee(s), 1 photo(s).').waitFor();
      await page.getByRole('button', { name: 'Start import' }).click();
      const evelyn = page.getByTestId('import-created').getByRole('link', { name: 'Evelyn Boyd' });
      await evelyn.waitFor(WAIT);
      expect((await api.findEmployee('E-3003'))?.templateCount).toBe(1);
      await evelyn.click();
      await page.getByRole('heading', { name: 'Evelyn Boyd', level: 1 }).waitFor();
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    "refuses a wrong person's photo unless confirmed; deleting that photo makes the kiosk refuse the face",
    async () => {
      await api.removeEmployee('E-1004');
      const employeeId = await api.ensureEmployee({
        badge: 'E-1004',
        firstName: 'Dorothy',
        lastName: 'Hodgkin',
        photo: await faceCrop('s4-3'),
      });
      const [ownPhoto] = await api.photoIds(employeeId);
      const stranger = join(dir, 'stranger.jpg');
      const strangerFace = await faceCrop('s1-1');
      await writeFile(stranger, strangerFace);
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.goto(`${fg.url}/admin/employees/${employeeId}`);
      await page.getByLabel('Choose face photos to enroll').setInputFiles(stranger);
      const refused = page.locator('.upload-result--rejected', { hasText: 'stranger.jpg' });
      await refused.waitFor(WAIT);
      expect(await refused.innerText()).toContain('does not look like the photos already enrolled');
      expect(await refused.innerText()).toContain('FACE_MISMATCH');
      expect((await api.photoIds(employeeId)).length).toBe(1);

      await refused.getByRole('button', { name: 'It is the same person: add anyway' }).click();
      await page.locator('.upload-result--accepted', { hasText: 'stranger.jpg' }).waitFor(WAIT);
      await expect.poll(() => page.getByTestId('face-grid').locator('img').count()).toBe(2);
      const audit = await api.call<{ items: Array<{ action: string; details: Record<string, unknown> }> }>(
        'GET',
        `/v1/audit?employee=${employeeId}&action=enroll`,
      );
      expect(audit.items.some((e) => e.details.mismatchConfirmed === true)).toBe(true);
      // What the bug report saw: the confirmed stranger is now welcomed under the employee's name.
      expect(await api.authenticate(await api.kioskKey('Mismatch probe'), strangerFace)).toBe('match');

      await page.getByRole('button', { name: 'Delete photo 2' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Delete photo' }).click();
      await page.getByText('Photo deleted').waitFor();
      await expect.poll(() => page.getByTestId('face-grid').locator('img').count()).toBe(1);
      expect(await api.photoIds(employeeId)).toEqual([ownPhoto]);
      expect(await api.authenticate(await api.kioskKey('Deleted face probe'), strangerFace)).toBe('no_match');
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'pairs kiosks by one-time code (QR link and typed), refuses a used code and a junk key, guards set-up by PIN',
    async () => {
      await api.adminToken();
      await api.call('PUT', '/v1/kiosk/setup-pin', { pin: null });
      const admin = await newPage();
      await signIn(admin.page, 'admin');
      await admin.page.getByRole('link', { name: 'API keys' }).click();
      const pairingCode = async (name: string): Promise<string> => {
        await admin.page.getByLabel('Kiosk name').fill(name);
        await admin.page.getByRole('button', { name: 'Create pairing code' }).click();
        const code = admin.page.getByTestId('pairing-code').filter({ hasText: /^[A-Z2-9]{4}-[A-Z2-9]{4}$/ });
        await admin.page.getByTestId('pairing').filter({ hasText: name }).waitFor();
        return (await code.innerText()).trim();
      };
      const first = await pairingCode('Lobby kiosk');
      const qr = admin.page.getByRole('img', { name: /QR code opening the kiosk page/ });
      await expect.poll(() => qr.evaluate(imageLoaded)).toBe(true);
      await screenshot(admin.page, 'admin-pairing');

      // Opened from the QR code's link: paired at once, without the secret ever shown.
      const scanned = await newPage();
      await scanned.page.goto(`${fg.url}/?pair=${encodeURIComponent(first)}`);
      await scanned.page.getByRole('heading', { name: 'Sign in with your face' }).waitFor(WAIT);
      expect(new URL(scanned.page.url()).search).toBe('');
      expect(await scanned.page.evaluate(`localStorage.getItem('facegate.kioskKey')`)).toMatch(/^fg_/);
      // The photo fallback is off unless turned on for this kiosk, and no set-up link is on screen.
      expect(await scanned.page.getByRole('button', { name: 'Use a photo instead' }).count()).toBe(0);
      expect(await scanned.page.getByText('Kiosk set-up').count()).toBe(0);
      await admin.page.getByTestId('key-table').getByText('Lobby kiosk').waitFor();

      // Typed in at a new kiosk.
      const second = await pairingCode('Side door');
      const typed = await newPage();
      await typed.page.goto(`${fg.url}/`);
      await typed.page.getByLabel('Pairing code').fill(second.toLowerCase());
      await typed.page.getByRole('button', { name: 'Pair this kiosk' }).click();
      await typed.page.getByRole('heading', { name: 'Sign in with your face' }).waitFor(WAIT);

      // A used code and a junk key are refused; nothing is stored.
      const junk = await newPage();
      await junk.page.goto(`${fg.url}/?pair=${encodeURIComponent(first)}`);
      await junk.page.getByTestId('setup-error').filter({ hasText: 'already used' }).waitFor(WAIT);
      await junk.page.getByLabel('Kiosk API key').fill(`fg_000000000000_${'x'.repeat(43)}`);
      await junk.page.getByRole('button', { name: 'Save key' }).click();
      await junk.page.getByTestId('setup-error').filter({ hasText: 'refused this key' }).waitFor(WAIT);
      expect(await junk.page.evaluate(`localStorage.getItem('facegate.kioskKey')`)).toBeNull();
      expect(await unlabelledControls(junk.page)).toEqual([]);

      // At a working kiosk, set-up needs the gesture and the PIN; a junk key there leaves the old key in use.
      const kiosk = scanned.page;
      const keyBefore = await kiosk.evaluate(`localStorage.getItem('facegate.kioskKey')`);
      await kiosk.keyboard.press('Control+Alt+s');
      await kiosk.getByRole('dialog').getByText('No set-up PIN is configured').waitFor();
      await kiosk.getByRole('button', { name: 'Close' }).click();
      await api.call('PUT', '/v1/kiosk/setup-pin', { pin: '482913' });
      await kiosk.reload();
      await kiosk.getByRole('heading', { name: 'Sign in with your face' }).waitFor(WAIT);
      const logo = kiosk.getByTestId('kiosk-logo');
      const box = await logo.boundingBox();
      await kiosk.mouse.move((box?.x ?? 0) + 5, (box?.y ?? 0) + 5);
      await kiosk.mouse.down();
      await kiosk.getByLabel('Set-up PIN').waitFor({ timeout: 10_000 });
      await kiosk.mouse.up();
      await kiosk.getByLabel('Set-up PIN').fill('1111');
      await kiosk.getByRole('button', { name: 'Open set-up' }).click();
      await kiosk.getByText('Wrong PIN.').waitFor();
      await kiosk.getByLabel('Set-up PIN').fill('482913');
      await kiosk.getByRole('button', { name: 'Open set-up' }).click();
      await kiosk.getByRole('heading', { name: 'Kiosk set-up' }).waitFor();
      await kiosk.getByLabel('Kiosk API key').fill('not-a-key');
      await kiosk.getByRole('button', { name: 'Save key' }).click();
      await kiosk.getByTestId('setup-error').filter({ hasText: 'refused this key' }).waitFor(WAIT);
      await kiosk.getByRole('button', { name: 'Cancel' }).click();
      await kiosk.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
      expect(await kiosk.evaluate(`localStorage.getItem('facegate.kioskKey')`)).toBe(keyBefore);
      const audit = await api.call<{ items: Array<{ action: string; outcome: string }> }>(
        'GET',
        '/v1/audit?action=kiosk.setup.unlock',
      );
      expect(audit.items.map((e) => e.outcome).sort()).toEqual(['refused', 'success']);
      await api.call('PUT', '/v1/kiosk/setup-pin', { pin: null });
      for (const p of [admin, scanned, typed, junk]) {
        expect(p.console.errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
        await p.context.close();
      }
    },
    LONG,
  );

  it(
    'audit log names actors and employees with links, filters by name and offers every action',
    async () => {
      const employeeId = await ensurePerson('ada');
      const keyName = `Audit names ${Date.now().toString(36)}`;
      expect(await api.authenticate(await api.kioskKey(keyName), await faceCrop('s1-0'))).toBe('match');
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      const table = page.getByTestId('audit-table');
      const row = table.locator('tbody tr', { hasText: keyName }).first();
      await row.waitFor();
      expect(await row.getByTestId('audit-actor').innerText()).toMatch(
        new RegExp(`${keyName} \\(fg_[0-9a-f]{12}_…\\)`),
      );
      const employee = row.getByTestId('audit-employee').getByRole('link', { name: 'Ada Lovelace (E-1001)' });
      expect(await employee.getAttribute('href')).toBe(`/admin/employees/${employeeId}`);
      const actions = await page.getByLabel('Action').locator('option').allInnerTexts();
      for (const a of ['authenticate', 'enroll', 'login']) expect(actions).toContain(a);

      await page.getByLabel('Employee (name or badge)').fill('Lovelace');
      await page.getByLabel(/^Actor/).fill(keyName);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      expect(await table.locator('tbody tr').innerText()).toContain('authenticate');
      await page.getByLabel(/^Actor/).fill('admin');
      await page.getByLabel('Employee (name or badge)').fill('');
      await page.getByLabel('Action').selectOption('login');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await table.locator('tbody tr', { hasText: 'login' }).first().waitFor();
      expect(await table.locator('tbody tr').first().getByTestId('audit-actor').innerText()).toBe('admin');
      await employee.waitFor({ state: 'detached' });
      expect(console.errors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'inviting a selection of the employee list: two selected, two links with QR code and CSV; only inviters select',
    async () => {
      const seeds = [
        { badge: 'INV-1', firstName: 'Mary', lastName: 'Jackson' },
        { badge: 'INV-2', firstName: 'Dorothy', lastName: 'Vaughan' },
        { badge: 'INV-3', firstName: 'Christine', lastName: 'Darden' },
      ];
      for (const seed of seeds)
        if (!(await api.findEmployee(seed.badge))) await api.call('POST', '/v1/employees', seed);
      type Invitations = { items: Array<{ id: string; status: string; employee: { badge: string } }> };
      const before = await api.call<Invitations>('GET', '/v1/invitations?limit=200');

      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await page.goto(`${fg.url}/admin/employees?q=INV-`);
      const table = page.getByTestId('employee-table');
      await table.locator('tbody tr', { hasText: 'Darden' }).waitFor();
      // The selection column comes first; cells are found by their column's name, as the other tests do.
      const darden = table.locator('tbody tr', { hasText: 'Darden' });
      expect(await darden.locator('td[data-label="Faces"]').textContent()).toBe('0');
      expect(await darden.locator('td[data-label="Badge"]').textContent()).toBe('INV-3');
      const invite = page.getByRole('button', { name: /^Invite selected/ });
      expect(await invite.textContent()).toBe('Invite selected (0)');
      expect(await invite.isDisabled()).toBe(true);
      const all = page.getByLabel('Select all on this page', { exact: true });
      await all.check();
      expect(await invite.textContent()).toBe('Invite selected (3)');
      await page.getByLabel('Select Christine Darden', { exact: true }).uncheck();
      expect(await invite.textContent()).toBe('Invite selected (2)');
      expect(await all.evaluate((el) => (el as { indeterminate: boolean }).indeterminate)).toBe(true);
      expect(await page.getByLabel('Select Mary Jackson', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('Select Dorothy Vaughan', { exact: true }).isChecked()).toBe(true);
      await screenshot(page, 'employees-select-1280x800');

      await invite.click();
      const created = page.getByTestId('created-invitations');
      await created.waitFor(WAIT);
      const links = created.getByLabel('Enrolment link');
      expect(await links.count()).toBe(2);
      for (let i = 0; i < 2; i++)
        expect(await links.nth(i).inputValue()).toMatch(new RegExp(`^${fg.url}/enrol/[A-Za-z0-9_-]{32}$`));
      const shown = (await created.textContent()) ?? '';
      expect(shown).toContain('Mary Jackson (INV-1)');
      expect(shown).toContain('Dorothy Vaughan (INV-2)');
      expect(shown).not.toContain('INV-3');
      expect(await invite.textContent()).toBe('Invite selected (0)');
      await created.getByRole('button', { name: 'Show QR code' }).first().click();
      await created.locator('img.invitation-qr').waitFor();
      const download = page.waitForEvent('download');
      await created.getByRole('button', { name: 'Download CSV' }).click();
      const csv = await readFile((await (await download).path()) ?? '', 'utf8');
      expect(csv.trim().split('\r\n')).toHaveLength(3);
      expect(csv).toContain(await links.first().inputValue());

      const after = await api.call<Invitations>('GET', '/v1/invitations?limit=200');
      const fresh = after.items.filter((i) => !before.items.some((b) => b.id === i.id));
      expect(fresh.map((i) => i.employee.badge).sort()).toEqual(['INV-1', 'INV-2']);
      expect(fresh.every((i) => i.status === 'open')).toBe(true);

      await screenshot(page, 'employees-invite-1280x800');
      await checkPage(page, {}, [
        { width: 1280, height: 800 },
        { width: 390, height: 844 },
      ]);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByLabel('Select Christine Darden', { exact: true }).check();
      expect(await page.getByRole('button', { name: /^Invite selected/ }).textContent()).toBe(
        'Invite selected (1)',
      );
      expect(await axeViolations(page)).toEqual([]);
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, 'employees-invite-390x844');
      expect(console.errors).toEqual([]);
      await context.close();

      // An enroller may invite too; an auditor sees neither the checkboxes nor the action (the server refuses it).
      for (const [username, role, shown] of [
        ['enid', 'enroller', 1],
        ['audrey', 'auditor', 0],
      ] as const) {
        await api.ensureUser(username, role);
        const other = await newPage();
        await signIn(other.page, username);
        await other.page.goto(`${fg.url}/admin/employees?q=INV-`);
        await other.page.getByTestId('employee-table').locator('tbody tr', { hasText: 'Darden' }).waitFor();
        expect(await other.page.getByRole('button', { name: /^Invite selected/ }).count(), role).toBe(shown);
        expect(await other.page.getByRole('checkbox').count(), role).toBe(shown * 4);
        expect(other.console.errors).toEqual([]);
        await other.context.close();
      }
    },
    LONG,
  );

  it(
    'keyboard and phone size: focus follows navigation and dialogs, every admin page fits 390 px, screenshots',
    async () => {
      const employeeId = await ensurePerson('ada');
      await ensurePerson('grace');
      const focused = (page: Page) =>
        page.evaluate(
          `(() => { const a = document.activeElement; return a ? a.tagName + ':' + a.textContent.trim() : '' })()`,
        );
      const { context, page, console } = await newPage();
      await signIn(page, 'admin');
      await expect.poll(() => focused(page)).toBe('H1:Employees');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
      await expect.poll(() => focused(page)).toBe('H1:Audit log');
      await page.goto(`${fg.url}/admin/employees`);
      await page
        .getByTestId('employee-table')
        .getByRole('link', { name: /Lovelace/ })
        .first()
        .click();
      await expect.poll(() => focused(page)).toBe('H1:Ada Lovelace');
      await page.getByTestId('face-grid').locator('img').first().waitFor();
      await screenshot(page, 'employee-1280x800');
      const opener = page.getByRole('button', { name: 'Delete employee…' });
      await opener.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor();
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      await expect.poll(() => focused(page)).toBe('BUTTON:Delete employee…');
      await page.goto(`${fg.url}/admin/employees`);
      await page.getByTestId('employee-table').locator('img.thumb').first().waitFor();
      await screenshot(page, 'employees-1280x800');
      expect(console.errors).toEqual([]);
      await context.close();

      const phone = await newPage(browser, { width: 390, height: 844 });
      await phone.page.goto(`${fg.url}/admin`);
      await phone.page.getByLabel('Username').fill('admin');
      await phone.page.getByLabel('Password').fill(PASSWORD);
      await phone.page.getByRole('button', { name: 'Sign in' }).click();
      await phone.page.getByRole('heading', { name: 'Employees', level: 1 }).waitFor();
      const bar = await phone.page.locator('header.topbar').boundingBox();
      expect(bar?.height ?? 999).toBeLessThan(90);
      await phone.page.getByRole('button', { name: /^Menu/ }).click();
      await phone.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Employees' })
        .waitFor();
      await phone.page.getByRole('button', { name: /^Menu/ }).click();
      await phone.page.getByTestId('employee-table').locator('img.thumb').first().waitFor();
      const faces = phone.page
        .getByTestId('employee-table')
        .locator('tbody tr', { hasText: 'Lovelace' })
        .locator('td[data-label="Faces"]');
      expect(await faces.isVisible()).toBe(true);
      await screenshot(phone.page, 'employees-390x844');
      const pages = [
        '/admin/employees',
        `/admin/employees/${employeeId}`,
        '/admin/import',
        '/admin/audit',
        '/admin/settings',
        '/admin/api-keys',
        '/admin/users',
      ];
      for (const path of pages) {
        await phone.page.goto(`${fg.url}${path}`);
        await phone.page.locator('#main h1').waitFor();
        await phone.page.waitForLoadState('networkidle');
        expect(await horizontalOverflow(phone.page), `overflow at 390 px on ${path}`).toBe(0);
        expect(await axeViolations(phone.page)).toEqual([]);
      }
      await phone.page.goto(`${fg.url}/admin/employees/${employeeId}`);
      await phone.page.getByTestId('face-grid').locator('img').first().waitFor();
      // On a phone the photos come before the details form.
      const photosTop =
        (await phone.page.getByRole('heading', { name: 'Face photos' }).boundingBox())?.y ?? 0;
      const detailsTop = (await phone.page.getByRole('heading', { name: 'Details' }).boundingBox())?.y ?? 0;
      expect(photosTop).toBeLessThan(detailsTop);
      await screenshot(phone.page, 'employee-390x844');
      expect(phone.console.errors).toEqual([]);
      await phone.context.close();

      for (const size of [
        { width: 1280, height: 800 },
        { width: 390, height: 844 },
      ]) {
        // A door kiosk: no photo fallback.
        const kiosk = await openKiosk(browser, api, fg.url, { photoUpload: false });
        await kiosk.page.setViewportSize(size);
        await kiosk.page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
        expect(await axeViolations(kiosk.page)).toEqual([]);
        expect(await horizontalOverflow(kiosk.page)).toBe(0);
        const scroll = (await kiosk.page.evaluate(
          'document.documentElement.scrollHeight - document.documentElement.clientHeight',
        )) as number;
        expect(scroll, `kiosk scrolls at ${size.width}×${size.height}`).toBeLessThanOrEqual(0);
        await screenshot(kiosk.page, `kiosk-${size.width}x${size.height}`);
        expect(kiosk.errors).toEqual([]);
        await kiosk.context.close();
      }
    },
    LONG,
  );

  it(
    'shows the lockout message after repeated failures',
    async () => {
      // A server of its own with a low limit: the lockout counts per client address too, which the other tests share.
      const strict = await startFacegate({ security: { lockoutThreshold: 3, lockoutHardCap: 50 } });
      try {
        const { context, page, errors } = await openKiosk(browser, new ApiSetup(strict), strict.url);
        let text = '';
        let attempts = 0;
        for (; attempts < 8 && !text.includes('Too many attempts'); attempts++) {
          text = await kioskUpload(page, files.other);
          if (!text.includes('Too many attempts')) {
            expect(text).toContain('Not recognised');
            await page.getByRole('button', { name: 'Try again' }).click();
          }
        }
        expect(text).toContain('Too many attempts');
        expect(text).toContain('contact an administrator');
        // Held back after the third refusal (threshold 3). The same stranger retrying is counted against their face
        // once the door has seen it (kiosk throttle), which holds them back at the latest on the fifth attempt.
        expect(attempts).toBeGreaterThanOrEqual(3);
        expect(attempts).toBeLessThanOrEqual(5);
        await screenshot(page, 'kiosk-locked');
        // The only console errors allowed are the browser's own notes on the 429 answers.
        expect(errors.filter((e) => !/status of 429/.test(e))).toEqual([]);
        await context.close();
      } finally {
        await strict.close();
      }
    },
    LONG,
  );
});
