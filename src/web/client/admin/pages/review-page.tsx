import { useState } from 'preact/hooks';
import {
  decideSubmission,
  listSubmissions,
  type SubmissionDto,
  submissionPhotoUrl,
} from '../enrolment-api.js';
import { ActionNotices, formatDate, PageHeader, useAction, useLoaded } from '../ui.js';

/**
 * The review queue of self-service enrolment: each submission's photos, its checks and who invited whom; approve
 * (the photos become templates) or reject with a reason (the photos are erased; the employee sees the reason).
 */
export function ReviewPage() {
  const action = useAction();
  const [items, reload] = useLoaded(() => listSubmissions('waiting'), action.setError);
  return (
    <section>
      <PageHeader title="Review queue" />
      <p class="muted">
        Self-enrolled photos wait here. Nothing matches until you approve; a rejection erases the photos.
      </p>
      <ActionNotices action={action} />
      {items && items.length === 0 ? <p data-testid="review-empty">Nothing to review.</p> : null}
      <ul class="review-list" data-testid="review-list">
        {(items ?? []).map((s) => (
          <Submission
            key={s.id}
            submission={s}
            busy={action.busy}
            decide={(decision, reason) =>
              void action.run(
                async () => {
                  await decideSubmission(s.id, decision, reason);
                  reload();
                },
                decision === 'approve'
                  ? 'Approved: the face is enrolled.'
                  : 'Rejected: the photos were erased.',
              )
            }
          />
        ))}
      </ul>
    </section>
  );
}

function Submission({
  submission: s,
  busy,
  decide,
}: {
  submission: SubmissionDto;
  busy: boolean;
  decide: (decision: 'approve' | 'reject', reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  const reasonId = `reason-${s.id}`;
  return (
    <li class="card review" data-testid="review-item" data-status={s.status}>
      <h2>
        {s.employee.firstName} {s.employee.lastName} <span class="muted">({s.employee.badge})</span>
      </h2>
      <p class="muted">
        Invited by {s.invitation.invitedBy} on {formatDate(s.invitation.createdAt)} · submitted{' '}
        {formatDate(s.createdAt)} · consent version {s.consentVersion}
      </p>
      {s.status === 'held' ? (
        <p class="review__held">Held for review: a check needs your attention.</p>
      ) : null}
      <div class="review__photos">
        {Array.from({ length: s.photoCount }, (_, i) => (
          <img
            key={i}
            src={submissionPhotoUrl(s.id, i)}
            alt={`Capture ${i + 1} of ${s.employee.firstName}`}
          />
        ))}
      </div>
      <ul class="review__checks">
        <li>
          Liveness challenge: {s.checks.liveness.outcome === 'pass' ? 'passed ✓' : s.checks.liveness.outcome}
        </li>
        <li>
          Duplicate check:{' '}
          {s.checks.duplicate
            ? `looks like employee ${s.checks.duplicate.badge ?? s.checks.duplicate.employeeId} (score ${s.checks.duplicate.score} ≥ ${s.checks.duplicate.threshold}) ✗`
            : 'no other employee matches ✓'}
        </li>
        <li>
          Same person as enrolled faces:{' '}
          {s.checks.consistency
            ? `${s.checks.consistency.passed ? 'yes ✓' : 'no ✗'} (score ${s.checks.consistency.score})`
            : 'no faces enrolled yet'}
        </li>
      </ul>
      <label for={reasonId}>Reason (required to reject; shown to the employee)</label>
      <input id={reasonId} value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
      <div class="actions">
        <button
          type="button"
          class="btn btn--primary"
          disabled={busy}
          onClick={() => decide('approve', reason.trim())}
        >
          Approve
        </button>
        <button
          type="button"
          class="btn btn--ghost"
          disabled={busy || reason.trim() === ''}
          onClick={() => decide('reject', reason.trim())}
        >
          Reject
        </button>
      </div>
    </li>
  );
}
