import { useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { type CreatedInvitationDto, invitationsCsv } from '../enrolment-api.js';
import { downloadText, formatDate } from '../ui.js';
import { CopyField } from './kiosk-pairing.js';

/** The links just created (shown once), each with a QR code, and the CSV of them all. */
export function CreatedInvitations({ items }: { items: CreatedInvitationDto[] }) {
  const [qr, setQr] = useState<Record<string, string>>({});
  const show = async (item: CreatedInvitationDto) => {
    const svg = await QRCode.toString(location.origin + item.link, {
      type: 'svg',
      margin: 2,
      errorCorrectionLevel: 'M',
    });
    setQr({ ...qr, [item.id]: `data:image/svg+xml;utf8,${encodeURIComponent(svg)}` });
  };
  return (
    <div class="card" data-testid="created-invitations">
      <h2>New links</h2>
      <button
        type="button"
        class="btn btn--primary"
        onClick={() => downloadText('invitations.csv', invitationsCsv(items, location.origin))}
      >
        Download CSV
      </button>
      <ul class="invitation-links">
        {items.map((item) => (
          <li key={item.id}>
            <p>
              {item.employee.firstName} {item.employee.lastName} ({item.employee.badge}) · until{' '}
              {formatDate(item.expiresAt)}
              {item.email ? <EmailStatus email={item.email} /> : null}
            </p>
            <CopyField id={`link-${item.id}`} label="Enrolment link" value={location.origin + item.link} />
            {qr[item.id] ? (
              <img
                class="invitation-qr"
                src={qr[item.id]}
                alt={`QR code of the link for ${item.employee.firstName}`}
              />
            ) : (
              <button type="button" class="btn btn--ghost" onClick={() => void show(item)}>
                Show QR code
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

const NOT_SENT: Record<string, string> = {
  no_address: 'not e-mailed: no e-mail address',
  smtp_error: 'not e-mailed: the mail server failed',
};

/** Whether the link went out by e-mail, or why not. */
function EmailStatus({ email }: { email: NonNullable<CreatedInvitationDto['email']> }) {
  const text = email.sent ? 'e-mailed' : (NOT_SENT[email.reason ?? ''] ?? 'not e-mailed');
  return <span data-email-sent={String(email.sent)}> · {email.sent ? text : <strong>{text}</strong>}</span>;
}
