// Records of self-service enrolment: invitations and the submissions made through them.
// No Node imports here: the web client imports its types from this module.

/** A single-use enrolment link for one employee; only a hash of its token is stored. */
export interface Invitation {
  id: string;
  employeeId: string;
  /** SHA-256 (hex) of the link's token. */
  tokenHash: string;
  /** Id of the user, key or operator who created it. */
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  /** When a submission was made through it (the link then only shows the outcome). */
  usedAt: string | null;
  /** The consent text version the employee accepted, and when. */
  consentVersion: string | null;
  consentedAt: string | null;
}

/** What creating an invitation stores. */
export type NewInvitation = Omit<Invitation, 'revokedAt' | 'usedAt' | 'consentVersion' | 'consentedAt'>;

/** Where an invitation stands, derived from its timestamps at a given time. */
export type InvitationStatus = 'open' | 'used' | 'revoked' | 'expired';

/** The status of `invitation` at `now` (ISO time). */
export function invitationStatus(invitation: Invitation, now: string): InvitationStatus {
  if (invitation.revokedAt) return 'revoked';
  if (invitation.usedAt) return 'used';
  return invitation.expiresAt <= now ? 'expired' : 'open';
}

/** Review states of a submission: `held` is pending with a failed check that a reviewer must look at. */
export type SubmissionStatus = 'pending' | 'held' | 'approved' | 'rejected';

/** Every submission status. */
export const SUBMISSION_STATUSES: readonly SubmissionStatus[] = ['pending', 'held', 'approved', 'rejected'];

/** The checks a submission went through, as stored (JSON) and shown to reviewers. */
export interface SubmissionChecks {
  liveness: { outcome: string; checks: Array<{ check: string; passed: boolean; reason: string }> };
  /** Per capture: whether the quality gate and the same-person check passed, and why not. */
  photos: Array<{ accepted: boolean; reasons: Array<{ code: string; message: string }> }>;
  /** The capture looks like another enrolled employee (best score at or above the duplicate threshold). */
  duplicate: { employeeId: string; badge: string | null; score: number; threshold: number } | null;
  /** Best score against the employee's already enrolled faces (null when there are none). */
  consistency: { score: number; threshold: number; passed: boolean } | null;
}

/** A set of captures waiting for (or past) review. Photos are blob keys of encrypted photos. */
export interface EnrolmentSubmission {
  id: string;
  invitationId: string;
  employeeId: string;
  status: SubmissionStatus;
  checks: SubmissionChecks;
  consentVersion: string;
  /** Blob keys of the kept captures; emptied once the decision is made (photos erased or enrolled). */
  photoKeys: string[];
  reviewerId: string | null;
  reason: string | null;
  createdAt: string;
  decidedAt: string | null;
}

/** What creating a submission stores. */
export type NewEnrolmentSubmission = Omit<EnrolmentSubmission, 'reviewerId' | 'reason' | 'decidedAt'>;

/** A review decision. */
export interface SubmissionDecision {
  status: 'approved' | 'rejected';
  reviewerId: string;
  reason: string | null;
  decidedAt: string;
}
