/** Admin calls of self-service enrolment: invitations, the review queue and the enrolment settings. */
import { apiRequest } from '../shared/api.js';

/** An invitation as inviters see it. */
export interface InvitationDto {
  id: string;
  status: 'open' | 'used' | 'revoked' | 'expired';
  employee: { id: string; badge: string; firstName: string; lastName: string; email: string | null };
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  usedAt: string | null;
  consentVersion: string | null;
}

/** A new invitation, with its link (shown once). */
export type CreatedInvitationDto = InvitationDto & { link: string };

/** A submission in the review queue. */
export interface SubmissionDto {
  id: string;
  status: 'pending' | 'held' | 'approved' | 'rejected';
  employee: { id: string; badge: string; firstName: string; lastName: string };
  invitation: { id: string; createdAt: string; invitedBy: string };
  checks: {
    liveness: { outcome: string; checks: Array<{ check: string; passed: boolean; reason: string }> };
    duplicate: { employeeId: string; badge: string | null; score: number; threshold: number } | null;
    consistency: { score: number; threshold: number; passed: boolean } | null;
  };
  consentVersion: string;
  photoCount: number;
  reviewer: string | null;
  reason: string | null;
  createdAt: string;
  decidedAt: string | null;
}

/** `POST /v1/invitations`: one invitation per employee (id or badge); the answer holds each link once. */
export async function createInvitations(employees: string[], expiresInDays?: number) {
  const body = { employees, ...(expiresInDays ? { expiresInDays } : {}) };
  return (await apiRequest<{ items: CreatedInvitationDto[] }>('/invitations', { method: 'POST', body }))
    .items;
}

/** `GET /v1/invitations`, newest first. */
export async function listInvitations(): Promise<InvitationDto[]> {
  return (await apiRequest<{ items: InvitationDto[] }>('/invitations', { query: { limit: 200 } })).items;
}

/** Revokes an open invitation. */
export async function revokeInvitation(id: string): Promise<void> {
  await apiRequest(`/invitations/${encodeURIComponent(id)}/revoke`, { method: 'POST' });
}

/** The review queue (`waiting`: pending or held). */
export async function listSubmissions(status = 'waiting'): Promise<SubmissionDto[]> {
  return (await apiRequest<{ items: SubmissionDto[] }>('/enrolment/submissions', { query: { status } }))
    .items;
}

/** URL of a waiting submission's photo (session cookie; reviewers only). */
export function submissionPhotoUrl(id: string, index: number): string {
  return `/v1/enrolment/submissions/${encodeURIComponent(id)}/photos/${index}`;
}

/** Approves (reason optional) or rejects (reason required) a submission. */
export async function decideSubmission(
  id: string,
  decision: 'approve' | 'reject',
  reason: string,
): Promise<void> {
  const body = decision === 'reject' || reason ? { reason } : {};
  await apiRequest(`/enrolment/submissions/${encodeURIComponent(id)}/${decision}`, { method: 'POST', body });
}

/** One CSV field, quoted when needed (and defused against spreadsheet formulas). */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV of new invitations with their full links, for delivery by mail merge or HR tools. */
export function invitationsCsv(items: readonly CreatedInvitationDto[], origin: string): string {
  const header = ['badge', 'firstName', 'lastName', 'email', 'link', 'expiresAt'];
  const rows = items.map((i) =>
    [
      i.employee.badge,
      i.employee.firstName,
      i.employee.lastName,
      i.employee.email ?? '',
      origin + i.link,
      i.expiresAt,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}

/** Badges or ids from pasted text or a CSV file: the `badge` column when there is a header, else the first column. */
export function badgesOf(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const first = lines[0]?.split(/[,;\t]/).map((c) => c.trim().toLowerCase()) ?? [];
  const column = first.indexOf('badge');
  const body = column >= 0 ? lines.slice(1) : lines;
  const index = Math.max(column, 0);
  const cells = body.flatMap((line) =>
    column >= 0 || /[,;\t]/.test(line) ? [line.split(/[,;\t]/)[index] ?? ''] : line.split(/\s+/),
  );
  return [...new Set(cells.map((c) => c.trim().replace(/^"|"$/g, '')).filter(Boolean))];
}

/** Self-service enrolment settings. */
export interface EnrolmentSettingsDto {
  consent: { version: string; text: string };
  autoApprove: boolean;
}

/** `GET /v1/enrolment/settings`. */
export function getEnrolmentSettings(): Promise<EnrolmentSettingsDto> {
  return apiRequest<EnrolmentSettingsDto>('/enrolment/settings');
}

/** `PUT /v1/enrolment/settings` (a changed consent text gets a new version). */
export async function saveEnrolmentSettings(patch: {
  consentText: string;
  autoApprove: boolean;
}): Promise<void> {
  await apiRequest('/enrolment/settings', { method: 'PUT', body: patch });
}
