/**
 * Admin calls of self-service enrolment, through the typed client: invitations, the review queue and the
 * enrolment settings; paths and shapes come from the OpenAPI document.
 */
import { api, ok } from '../shared/api.js';
import type { JsonAnswer, JsonBody, QueryOf } from '../shared/api-types.js';

/** A new invitation, with its link (shown once). */
export type CreatedInvitationDto = JsonAnswer<'/v1/invitations', 'post'>['items'][number];

/** An invitation as inviters see it. */
export type InvitationDto = JsonAnswer<'/v1/invitations', 'get'>['items'][number];

/** A submission in the review queue. */
export type SubmissionDto = JsonAnswer<'/v1/enrolment/submissions', 'get'>['items'][number];

/**
 * `POST /v1/invitations`: one invitation per employee (id or badge); the answer holds each link once. With
 * `sendEmail`, the server also e-mails each link and says per invitation whether it was sent.
 */
export async function createInvitations(employees: string[], expiresInDays?: number, sendEmail = false) {
  const body = {
    employees,
    ...(expiresInDays ? { expiresInDays } : {}),
    ...(sendEmail ? { sendEmail } : {}),
  };
  return (await ok(api.POST('/v1/invitations', { body }))).items;
}

/** `GET /v1/invitations`, newest first. */
export async function listInvitations(): Promise<InvitationDto[]> {
  return (await ok(api.GET('/v1/invitations', { params: { query: { limit: 200 } } }))).items;
}

/** Revokes an open invitation. */
export async function revokeInvitation(id: string): Promise<void> {
  await ok(api.POST('/v1/invitations/{id}/revoke', { params: { path: { id } } }));
}

/** The review queue (`waiting`: pending or held). */
export async function listSubmissions(
  status: NonNullable<QueryOf<'/v1/enrolment/submissions', 'get'>['status']> = 'waiting',
): Promise<SubmissionDto[]> {
  return (await ok(api.GET('/v1/enrolment/submissions', { params: { query: { status } } }))).items;
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
  const params = { path: { id } };
  if (decision === 'reject')
    await ok(api.POST('/v1/enrolment/submissions/{id}/reject', { params, body: { reason } }));
  else
    await ok(api.POST('/v1/enrolment/submissions/{id}/approve', { params, body: reason ? { reason } : {} }));
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
export type EnrolmentSettingsDto = JsonAnswer<'/v1/enrolment/settings', 'get'>;

/** `GET /v1/enrolment/settings`. */
export function getEnrolmentSettings(): Promise<EnrolmentSettingsDto> {
  return ok(api.GET('/v1/enrolment/settings'));
}

/** `PUT /v1/enrolment/settings` (a changed consent text gets a new version). */
export async function saveEnrolmentSettings(patch: JsonBody<'/v1/enrolment/settings', 'put'>): Promise<void> {
  await ok(api.PUT('/v1/enrolment/settings', { body: patch }));
}
