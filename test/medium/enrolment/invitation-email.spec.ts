import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import {
  bearer,
  body,
  errorCode,
  loadEngine,
  openApi,
  setupAdmin,
  type TestApi,
} from '../api/api-test-kit.js';

/** One message as the test SMTP server received it. */
interface Received {
  from: string;
  to: string[];
  raw: string;
}

const received: Received[] = [];
let smtp: SMTPServer;
let engine: FaceEngine;
let mailing: TestApi;
let mailingAdmin: Record<string, string>;
let plain: TestApi;
let plainAdmin: Record<string, string>;

/** A local SMTP server on a loopback port that keeps every message it accepts. */
async function startSmtp(): Promise<number> {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      // The credentials in FACEGATE_SMTP_URL reach the server.
      if (auth.username === 'user' && auth.password === 'se:cret') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address === 'bounce@example.com') callback(new Error('Mailbox unavailable'));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const envelope = session.envelope;
        received.push({
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
          to: envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return (smtp.server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const port = await startSmtp();
  engine = await loadEngine();
  mailing = await openApi(engine, {
    mail: {
      smtpUrl: `smtp://user:se%3Acret@127.0.0.1:${port}`,
      from: 'facegate <gate@example.com>',
      publicUrl: 'https://gate.example.com',
    },
  });
  mailingAdmin = bearer(await setupAdmin(mailing));
  plain = await openApi(engine);
  plainAdmin = bearer(await setupAdmin(plain));
}, 120_000);

afterAll(async () => {
  await mailing?.close();
  await plain?.close();
  await engine?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

async function employee(api: TestApi, admin: Record<string, string>, badge: string, email?: string) {
  const res = await api.server.inject({
    method: 'POST',
    url: '/v1/employees',
    headers: admin,
    payload: { badge, firstName: `First${badge}`, lastName: 'Mailed', ...(email ? { email } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
}

interface CreatedItem {
  id: string;
  link: string;
  employee: { badge: string };
  email?: { sent: boolean; reason: string | null };
}

describe('invitations delivered by e-mail', () => {
  it('e-mails each link to its employee, reports who has no address, and audits without the token', async () => {
    await employee(mailing, mailingAdmin, 'M-1', 'ada@example.com');
    await employee(mailing, mailingAdmin, 'M-2');
    const res = await mailing.server.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: mailingAdmin,
      payload: { employees: ['M-1', 'M-2'], sendEmail: true },
    });
    expect(res.statusCode, res.body).toBe(201);
    const items = body<{ items: CreatedItem[] }>(res).items;
    const byBadge = new Map(items.map((i) => [i.employee.badge, i]));
    expect(byBadge.get('M-1')?.email).toEqual({ sent: true, reason: null });
    expect(byBadge.get('M-2')?.email).toEqual({ sent: false, reason: 'no_address' });
    expect(received).toHaveLength(1);
    const message = received[0];
    expect(message?.to).toEqual(['ada@example.com']);
    expect(message?.from).toBe('gate@example.com');
    const decoded = (message?.raw ?? '').replace(/=\r?\n/g, '');
    expect(decoded).toContain('text/plain');
    expect(decoded).toContain('text/html');
    const link = /https:\/\/gate\.example\.com\/enrol\/([A-Za-z0-9_-]+)/.exec(decoded);
    expect(link?.[0]).toBe(`https://gate.example.com${byBadge.get('M-1')?.link}`);
    const page = await mailing.server.inject({ method: 'GET', url: `/v1/enrol/${link?.[1]}` });
    expect(page.statusCode, page.body).toBe(200);
    expect(body<{ firstName: string }>(page).firstName).toBe('FirstM-1');

    const { items: audit } = await mailing.app.store.audit.query({ limit: 100 });
    const emailed = audit.filter((e) => e.action === 'invitation.emailed');
    expect(emailed.map((e) => e.outcome)).toEqual(['success']);
    expect(JSON.stringify(audit)).not.toContain(link?.[1]);
  });

  it('without sendEmail nothing is e-mailed and no email field is reported', async () => {
    const before = received.length;
    await employee(mailing, mailingAdmin, 'M-3', 'bob@example.com');
    const res = await mailing.server.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: mailingAdmin,
      payload: { employees: ['M-3'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(body<{ items: CreatedItem[] }>(res).items[0]?.email).toBeUndefined();
    expect(received).toHaveLength(before);
  });

  it('reports an SMTP refusal as smtp_error, keeps the invitation and audits the failure', async () => {
    await employee(mailing, mailingAdmin, 'M-4', 'bounce@example.com');
    const res = await mailing.server.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: mailingAdmin,
      payload: { employees: ['M-4'], sendEmail: true },
    });
    expect(res.statusCode, res.body).toBe(201);
    const [item] = body<{ items: CreatedItem[] }>(res).items;
    expect(item?.email).toEqual({ sent: false, reason: 'smtp_error' });
    const token = item?.link.replace('/enrol/', '');
    const page = await mailing.server.inject({ method: 'GET', url: `/v1/enrol/${token}` });
    expect(page.statusCode, page.body).toBe(200);
    const { items: audit } = await mailing.app.store.audit.query({ limit: 100 });
    const failed = audit.filter((e) => e.action === 'invitation.emailed' && e.outcome === 'failure');
    expect(failed.map((e) => e.reason)).toEqual(['smtp_error']);
  });

  it('refuses sendEmail with MAIL_NOT_CONFIGURED when no SMTP server is set, creating nothing', async () => {
    await employee(plain, plainAdmin, 'P-1', 'cy@example.com');
    const res = await plain.server.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: plainAdmin,
      payload: { employees: ['P-1'], sendEmail: true },
    });
    expect(res.statusCode, res.body).toBe(409);
    expect(errorCode(res)).toBe('MAIL_NOT_CONFIGURED');
    const list = await plain.server.inject({ method: 'GET', url: '/v1/invitations', headers: plainAdmin });
    expect(body<{ items: unknown[] }>(list).items).toHaveLength(0);
  });
});
