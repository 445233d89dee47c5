import { createTransport, type Transporter } from 'nodemailer';
import type { InvitationMail, InvitationMailer } from '../services/invitation-mailer.port.js';

/** SMTP settings, as validated by the configuration (`smtpProblems`). */
export interface SmtpSettings {
  url: string;
  from: string;
  publicUrl: string;
}

const SUBJECT = 'Enrol your face for facegate';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The plain-text and HTML bodies of an invitation. */
export function invitationBodies(mail: InvitationMail): { text: string; html: string } {
  const until = new Date(mail.expiresAt).toUTCString();
  const text = [
    `Hello ${mail.firstName},`,
    '',
    'You are invited to enrol your face for facegate sign-in. Open this link on a device with a camera:',
    '',
    mail.link,
    '',
    `The link works once and expires on ${until}. If you did not expect it, ignore this message.`,
  ].join('\n');
  const link = escapeHtml(mail.link);
  const html = [
    `<p>Hello ${escapeHtml(mail.firstName)},</p>`,
    '<p>You are invited to enrol your face for facegate sign-in. Open this link on a device with a camera:</p>',
    `<p><a href="${link}">${link}</a></p>`,
    `<p>The link works once and expires on ${escapeHtml(until)}. If you did not expect it, ignore this message.</p>`,
  ].join('\n');
  return { text, html };
}

/** Transport options from an `smtp://` / `smtps://` URL: TLS from the first byte for smtps, STARTTLS on request. */
function transportOptions(raw: string) {
  const url = new URL(raw);
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: url.searchParams.get('requireTLS') === 'true',
    ...(user ? { auth: { user, pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  };
}

/** The SMTP adapter of {@link InvitationMailer}, on nodemailer. */
export class SmtpInvitationMailer implements InvitationMailer {
  readonly publicUrl: string;
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(settings: SmtpSettings) {
    this.transport = createTransport(transportOptions(settings.url));
    this.from = settings.from;
    this.publicUrl = settings.publicUrl;
  }

  async send(mail: InvitationMail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: mail.to,
      subject: SUBJECT,
      ...invitationBodies(mail),
    });
  }
}
