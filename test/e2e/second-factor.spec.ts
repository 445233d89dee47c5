/**
 * Second factors in Chromium, end to end, with virtual WebAuthn authenticators over the DevTools protocol: an admin
 * registers a passkey for an employee in the admin UI and the employee signs in at the kiosk with face + passkey;
 * an admin enrols a passkey for themselves and the next console sign-in requires it; face + PIN at the kiosk.
 *
 * The pages run on http://localhost:<port> (a WebAuthn RP id must be a domain, not 127.0.0.1); the server's
 * relying-party origins get that origin once the port is known.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, transform } from '../fixtures/sample-faces.js';
import { axeViolations } from './axe-check.js';
import { ApiSetup } from './e2e-fixtures.js';
import {
  buildWeb,
  horizontalOverflow,
  launchBrowser,
  PASSWORD,
  type RunningFacegate,
  screenshot,
  startFacegate,
  unlabelledControls,
  watchConsole,
} from './e2e-kit.js';

const LONG = 240_000;
const WAIT = { timeout: 120_000 };

/** A virtual authenticator of a page: a roaming CTAP2 security key that verifies its user. */
async function virtualKey(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

describe('second factors in Chromium with a virtual authenticator', () => {
  let fg: RunningFacegate;
  let api: ApiSetup;
  let browser: Browser;
  let dir: string;
  /** The UI's origin: localhost, the WebAuthn RP id. */
  let origin: string;
  const files = { grace: '', katherine: '' };

  beforeAll(async () => {
    await buildWeb();
    // The flows here are not about load: a busy shared test machine must not answer them 503.
    fg = await startFacegate();
    origin = `http://localhost:${new URL(fg.url).port}`;
    fg.app.config.webauthn.origins.push(origin);
    expect(fg.app.config.webauthn.rpId).toBe('localhost');
    api = new ApiSetup(fg);
    // A factor is asked of every employee who has one (face alone for the others).
    await api.settings({ mfa: { employeeDefault: { require: 'any', ifEnrolled: true } } });
    dir = await mkdtemp(join(tmpdir(), 'facegate-e2e-mfa-'));
    files.grace = join(dir, 'grace.jpg');
    files.katherine = join(dir, 'katherine.jpg');
    await writeFile(files.grace, await transform(await faceCrop('s3-0'), 'flip'));
    await writeFile(files.katherine, await transform(await faceCrop('s4-0'), 'flip'));
    browser = await launchBrowser();
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await fg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, LONG);

  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    return { context, page, console: watchConsole(page) };
  }

  async function signIn(page: Page, username: string): Promise<void> {
    await page.goto(`${origin}/admin`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A kiosk page with a key of its own and the photo fallback on (a photo stands in for the camera). */
  async function openKiosk(page: Page): Promise<void> {
    const key = await api.kioskKey('Second-factor kiosk', { photoUpload: true });
    await page.goto(`${origin}/`);
    await page.getByLabel('Kiosk API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();
  }

  async function showFace(page: Page, file: string): Promise<void> {
    const input = page.getByLabel('Choose a photo of your face');
    const button = page.getByRole('button', { name: 'Use a photo instead' });
    await input.or(button).first().waitFor({ state: 'attached' });
    if ((await input.count()) === 0) await button.click();
    await input.setInputFiles(file);
  }

  async function kioskResult(page: Page): Promise<string> {
    const result = page.getByTestId('kiosk-result');
    await result.waitFor(WAIT);
    return ((await result.textContent()) ?? '').replace(/\s+/g, ' ');
  }

  it(
    'an admin registers a passkey for an employee; at the kiosk, face + passkey → welcome',
    async () => {
      const graceId = await api.ensureEmployee({
        badge: 'E-2001',
        firstName: 'Grace',
        lastName: 'Hopper',
        photo: await faceCrop('s3-0'),
      });
      const admin = await newPage();
      const adminKey = await virtualKey(admin.context, admin.page);
      await signIn(admin.page, 'admin');
      await admin.page.getByRole('button', { name: 'Sign out' }).waitFor();
      await admin.page.goto(`${origin}/admin/employees/${graceId}`);
      const panel = admin.page.getByTestId('factors-panel');
      await panel.getByText('No second factor is set up.').waitFor();
      await panel.getByRole('button', { name: 'Register a passkey' }).click();
      await panel.getByText('Passkey registered.').waitFor();
      // The first strong factor comes with ten recovery codes, shown this once.
      const codes = panel.getByTestId('recovery-codes');
      expect(await codes.getByRole('listitem').count()).toBe(10);
      expect(await panel.getByTestId('factor-table').textContent()).toContain('Passkey');
      expect(await axeViolations(admin.page)).toEqual([]);
      await admin.page.evaluate(`document.querySelector('[data-testid=factors-panel]').scrollIntoView()`);
      await screenshot(admin.page, 'admin-factors');
      await panel.getByRole('button', { name: 'I have saved them' }).click();
      expect(await panel.getByTestId('recovery-codes').count()).toBe(0);
      await admin.page.reload();
      await panel.getByTestId('factor-table').getByRole('cell', { name: 'Passkey', exact: true }).waitFor();
      expect(await panel.getByTestId('recovery-codes').count()).toBe(0);

      // The security key goes from the admin's desk to the kiosk.
      const { credentials } = await adminKey.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: adminKey.id,
      });
      expect(credentials).toHaveLength(1);
      const kiosk = await newPage();
      const kioskKey = await virtualKey(kiosk.context, kiosk.page);
      await kioskKey.cdp.send('WebAuthn.addCredential', {
        authenticatorId: kioskKey.id,
        credential: credentials[0] as (typeof credentials)[number],
      });
      await openKiosk(kiosk.page);
      await showFace(kiosk.page, files.grace);
      expect(await kioskResult(kiosk.page)).toContain('Welcome, Grace Hopper');
      const after = await kioskKey.cdp.send('WebAuthn.getCredentials', { authenticatorId: kioskKey.id });
      expect(after.credentials[0]?.signCount).toBeGreaterThan(0);

      // Without the key the face alone is not enough: the prompt fails and nobody is welcomed.
      await kioskKey.cdp.send('WebAuthn.removeCredential', {
        authenticatorId: kioskKey.id,
        credentialId: credentials[0]?.credentialId ?? '',
      });
      await kiosk.page.getByRole('button', { name: 'Done' }).click();
      await showFace(kiosk.page, files.grace);
      await kiosk.page.getByTestId('kiosk-factor').waitFor(WAIT);
      await kiosk.page.getByText('No security key answered').waitFor(WAIT);
      expect(await kiosk.page.getByTestId('kiosk-result').count()).toBe(0);
      expect(await axeViolations(kiosk.page)).toEqual([]);
      await screenshot(kiosk.page, 'kiosk-factor-passkey');
      await kiosk.page.getByRole('button', { name: 'Cancel' }).click();
      await kiosk.page.getByRole('heading', { name: 'Sign in with your face' }).waitFor();

      const audit = await api.call<{ items: Array<{ action: string; outcome: string }> }>(
        'GET',
        '/v1/audit?action=mfa.step&limit=50',
      );
      expect(audit.items.some((e) => e.outcome === 'success')).toBe(true);
      expect([...admin.console.errors, ...kiosk.console.errors]).toEqual([]);
      await admin.context.close();
      await kiosk.context.close();
    },
    LONG,
  );

  it(
    'kiosk PIN pad: face + the PIN set in the admin UI → welcome; a wrong PIN is refused',
    async () => {
      const id = await api.ensureEmployee({
        badge: 'E-2002',
        firstName: 'Katherine',
        lastName: 'Johnson',
        photo: await faceCrop('s4-0'),
      });
      const admin = await newPage();
      await signIn(admin.page, 'admin');
      await admin.page.getByRole('button', { name: 'Sign out' }).waitFor();
      await admin.page.goto(`${origin}/admin/employees/${id}`);
      const panel = admin.page.getByTestId('factors-panel');
      await panel.getByRole('button', { name: 'Set PIN' }).click();
      await panel.getByLabel('New PIN').fill('123456');
      await panel.getByRole('button', { name: 'Save PIN' }).click();
      await panel.getByRole('alert').waitFor();
      expect(await panel.getByTestId('factor-table').textContent()).not.toContain('PIN');
      await panel.getByLabel('New PIN').fill('739184');
      await panel.getByRole('button', { name: 'Save PIN' }).click();
      await panel.getByText('PIN set.').waitFor();
      await panel
        .getByTestId('factor-table')
        .getByRole('cell', { name: 'PIN', exact: true })
        .first()
        .waitFor();
      await admin.context.close();

      const kiosk = await newPage();
      await openKiosk(kiosk.page);
      await showFace(kiosk.page, files.katherine);
      const pin = kiosk.page.getByLabel('Your PIN');
      await pin.waitFor(WAIT);
      expect(await unlabelledControls(kiosk.page)).toEqual([]);
      expect(await axeViolations(kiosk.page)).toEqual([]);
      // On-screen digits, then the keyboard (the field has the focus).
      for (const digit of ['7', '3', '9'])
        await kiosk.page.getByRole('button', { name: digit, exact: true }).click();
      await kiosk.page.keyboard.type('184');
      expect(await pin.inputValue()).toBe('739184');
      await screenshot(kiosk.page, 'kiosk-factor-pin');
      // The PIN pad fits a phone-sized kiosk without scrolling.
      await kiosk.page.setViewportSize({ width: 390, height: 844 });
      expect(await horizontalOverflow(kiosk.page)).toBe(0);
      const scroll = (await kiosk.page.evaluate(
        'document.documentElement.scrollHeight - document.documentElement.clientHeight',
      )) as number;
      expect(scroll).toBeLessThanOrEqual(0);
      expect(await kiosk.page.getByRole('button', { name: 'OK' }).isVisible()).toBe(true);
      await pin.focus();
      await kiosk.page.keyboard.press('Enter');
      expect(await kioskResult(kiosk.page)).toContain('Welcome, Katherine Johnson');

      await kiosk.page.getByRole('button', { name: 'Done' }).click();
      await showFace(kiosk.page, files.katherine);
      await pin.waitFor(WAIT);
      await pin.fill('000111');
      await kiosk.page.getByRole('button', { name: 'OK' }).click();
      const refused = await kioskResult(kiosk.page);
      expect(refused).toContain('Not signed in');
      expect(refused).not.toContain('Welcome');
      expect(kiosk.console.errors.filter((e) => !e.includes('401'))).toEqual([]);
      await kiosk.context.close();
    },
    LONG,
  );

  it(
    'an admin enrols a passkey for themselves; the next console sign-in requires it and succeeds with it',
    async () => {
      await api.ensureUser('secadmin', 'admin');
      const { context, page, console } = await newPage();
      await virtualKey(context, page);
      await signIn(page, 'secadmin');
      await page.getByRole('link', { name: 'Sign-in security' }).click();
      await page.getByRole('heading', { name: 'My sign-in security' }).waitFor();
      await page.getByRole('button', { name: 'Register a passkey' }).click();
      await page.getByText('Passkey registered.').waitFor();
      const codes = await page.getByTestId('recovery-codes').getByRole('listitem').allInnerTexts();
      expect(codes).toHaveLength(10);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'admin-my-security');
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await horizontalOverflow(page)).toBe(0);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByRole('button', { name: 'I have saved them' }).click();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Username').fill('secadmin');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The password alone does not open the console.
      await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      expect(await unlabelledControls(page)).toEqual([]);
      await screenshot(page, 'login-second-factor');
      const passwordOnly = await fetch(`${fg.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'secadmin', password: PASSWORD, session: 'bearer' }),
      });
      const answer = (await passwordOnly.json()) as { token?: string; secondFactor?: { allowed: string[] } };
      expect(answer.token).toBeUndefined();
      expect(answer.secondFactor?.allowed).toContain('webauthn');

      // A wrong code is refused and sends the admin back to the password.
      await page.getByLabel('Recovery code').fill('not-a-code');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByText('That was not accepted').waitFor();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();

      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      const me = (await page.evaluate(`fetch('/v1/auth/me').then((r) => r.json())`)) as {
        user?: { username: string };
      };
      expect(me.user?.username).toBe('secadmin');
      expect(console.errors.filter((e) => !e.includes('401'))).toEqual([]);
      await context.close();
    },
    LONG,
  );
});
