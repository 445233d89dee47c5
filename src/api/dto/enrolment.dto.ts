import type { CreatedInvitation, InvitationView } from '../../services/invitation.service.js';
import type { SubmissionView } from '../../services/review.service.js';

/** An invitation as inviters see it: never the token hash. */
export function toInvitationDto({ invitation, status, employee }: InvitationView) {
  return {
    id: invitation.id,
    status,
    employee: { ...employee },
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
    revokedAt: invitation.revokedAt,
    usedAt: invitation.usedAt,
    consentVersion: invitation.consentVersion,
  };
}

/** A new invitation: its link, and whether it was e-mailed when that was asked for. */
export function toCreatedInvitationDto(created: CreatedInvitation) {
  return {
    ...toInvitationDto(created),
    link: created.link,
    ...(created.email ? { email: { ...created.email } } : {}),
  };
}

/** A submission as reviewers see it: checks and photo count, never the blob keys. */
export function toSubmissionDto({ submission, employee, invitation, reviewedBy }: SubmissionView) {
  return {
    id: submission.id,
    status: submission.status,
    employee: { ...employee },
    invitation: { id: invitation.id, createdAt: invitation.createdAt, invitedBy: invitation.invitedBy },
    checks: submission.checks,
    consentVersion: submission.consentVersion,
    photoCount: submission.photoKeys.length,
    reviewer: reviewedBy,
    reason: submission.reason,
    createdAt: submission.createdAt,
    decidedAt: submission.decidedAt,
  };
}
