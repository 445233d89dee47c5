import { useState } from 'preact/hooks';
import {
  badgesOf,
  type CreatedInvitationDto,
  createInvitations,
  getEnrolmentSettings,
  type InvitationDto,
  listInvitations,
  revokeInvitation,
} from '../enrolment-api.js';
import { ActionNotices, DataTable, formatDate, Notice, PageHeader, useAction, useLoaded } from '../ui.js';
import { CreatedInvitations } from './created-invitations.js';

/**
 * Invitations to self-service enrolment: invite one or many employees (badges typed, pasted or from a CSV file),
 * show each new link with a QR code, export them as CSV, and revoke open ones.
 */
export function InvitationsPage() {
  const action = useAction();
  const [list, reload] = useLoaded(listInvitations, action.setError);
  const [settings] = useLoaded(getEnrolmentSettings, action.setError);
  // Where the capture step cannot run, the server refuses new invitations: the form says so before anyone types.
  const unavailable = settings?.captureAvailable === false;
  const [badges, setBadges] = useState('');
  const [days, setDays] = useState(7);
  const [sendEmail, setSendEmail] = useState(false);
  const [created, setCreated] = useState<CreatedInvitationDto[]>([]);
  const invite = () =>
    void action.run(async () => {
      const items = await createInvitations(badgesOf(badges), days, sendEmail);
      setCreated(items);
      setBadges('');
      reload();
    }, 'Invitations created. Copy the links now: they are not shown again.');
  const readFile = async (file: File | undefined) => {
    if (file) setBadges(badgesOf(await file.text()).join('\n'));
  };
  return (
    <section>
      <PageHeader title="Invitations" />
      <p class="muted">
        An invitation is a single-use link for one employee to enrol their own face from their phone, after
        consent and a liveness check. Their photos wait in the review queue until approved.
      </p>
      <ActionNotices action={action} />
      {unavailable ? (
        <Notice kind="warn">
          Self-service enrolment cannot capture faces on this deployment: its liveness check and photos need
          the local face engine, and this server matches faces in a remote collection (Amazon Rekognition).
          New invitations are refused; enrol employees from their photos instead. Existing links tell the
          employee the same.
        </Notice>
      ) : null}
      <form
        class="card invite-form"
        onSubmit={(e) => {
          e.preventDefault();
          invite();
        }}
      >
        <h2>Invite employees</h2>
        <label for="invite-badges">Badges (one per line, or paste a CSV with a badge column)</label>
        <textarea
          id="invite-badges"
          name="badges"
          rows={4}
          value={badges}
          onInput={(e) => setBadges(e.currentTarget.value)}
        />
        <label for="invite-file">…or choose a CSV file</label>
        <input
          id="invite-file"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(e) => void readFile(e.currentTarget.files?.[0])}
        />
        <label for="invite-days">Valid for (days)</label>
        <input
          id="invite-days"
          type="number"
          min={1}
          max={30}
          value={days}
          onInput={(e) => setDays(Number(e.currentTarget.value) || 7)}
        />
        <label class="checkbox">
          <input
            type="checkbox"
            name="sendEmail"
            checked={sendEmail}
            onChange={(e) => setSendEmail(e.currentTarget.checked)}
          />
          Also send by e-mail (needs an SMTP server in the configuration)
        </label>
        <button
          type="submit"
          class="btn btn--primary"
          disabled={unavailable || action.busy || badgesOf(badges).length === 0}
        >
          Create {badgesOf(badges).length || ''} invitation{badgesOf(badges).length === 1 ? '' : 's'}
        </button>
      </form>
      {created.length > 0 ? <CreatedInvitations items={created} /> : null}
      <h2>All invitations</h2>
      <DataTable
        testId="invitations-table"
        columns={[
          { label: 'Employee' },
          { label: 'Status' },
          { label: 'Created', optional: true },
          { label: 'Expires', optional: true },
          { label: 'Actions', hidden: true },
        ]}
        empty={list && list.length === 0 ? 'No invitations yet.' : null}
      >
        {(list ?? []).map((i) => (
          <InvitationRow
            key={i.id}
            invitation={i}
            onRevoke={() => void action.run(() => revokeInvitation(i.id).then(reload), 'Invitation revoked.')}
          />
        ))}
      </DataTable>
    </section>
  );
}

function InvitationRow({ invitation: i, onRevoke }: { invitation: InvitationDto; onRevoke: () => void }) {
  return (
    <tr>
      <td>
        {i.employee.firstName} {i.employee.lastName} <span class="muted">({i.employee.badge})</span>
      </td>
      <td data-status={i.status}>{i.status}</td>
      <td class="col-optional">{formatDate(i.createdAt)}</td>
      <td class="col-optional">{formatDate(i.expiresAt)}</td>
      <td>
        {i.status === 'open' ? (
          <button type="button" class="btn btn--ghost" onClick={onRevoke}>
            Revoke
          </button>
        ) : null}
      </td>
    </tr>
  );
}
