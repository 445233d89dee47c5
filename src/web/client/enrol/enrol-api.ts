/** The enrolment page's calls: every one authorised by the invitation link's token alone. */
import { apiRequest } from '../shared/api.js';
import type { ChallengeDto } from '../shared/liveness-types.js';

/** `GET /v1/enrol/{token}`. */
export interface EnrolmentPage {
  firstName: string;
  status: 'open' | 'used' | 'revoked' | 'expired';
  expiresAt: string;
  consent: { version: string; text: string };
  consentAccepted: boolean;
  livenessPassed: boolean;
  submission: {
    status: 'pending' | 'held' | 'approved' | 'rejected';
    reason: string | null;
    createdAt: string;
    decidedAt: string | null;
  } | null;
}

/** One capture's outcome. */
export interface CaptureResult {
  accepted: boolean;
  reasons: Array<{ code: string; hint: string }>;
}

/** `POST /v1/enrol/{token}/submission`. */
export interface SubmitResult {
  outcome: 'submitted' | 'retake';
  status: 'pending' | 'held' | 'approved' | 'rejected' | null;
  photos: CaptureResult[];
}

/** `POST /v1/enrol/{token}/liveness`. */
export interface LivenessResult {
  outcome: 'pass' | 'retry' | 'refused';
  hint: string | null;
  code: string | null;
}

/** The token of the page's own link (`/enrol/<token>`), or null. */
export function tokenOfLocation(pathname: string): string | null {
  const match = /^\/enrol\/([A-Za-z0-9_-]{16,64})\/?$/.exec(pathname);
  return match?.[1] ?? null;
}

const base = (token: string) => `/enrol/${encodeURIComponent(token)}`;

/** The calls of the enrolment page, each with the link's token. */
export const enrolApi = {
  open: (token: string) => apiRequest<EnrolmentPage>(base(token)),
  consent: (token: string, version: string) =>
    apiRequest<void>(`${base(token)}/consent`, { method: 'POST', body: { version } }),
  challenge: (token: string, exclude: readonly string[] = []) =>
    apiRequest<ChallengeDto>(`${base(token)}/challenge`, {
      method: 'POST',
      body: exclude.length > 0 ? { exclude } : {},
    }),
  answer: (token: string, form: FormData) =>
    apiRequest<LivenessResult>(`${base(token)}/liveness`, { method: 'POST', body: form }),
  submit: (token: string, photos: readonly Blob[]) => {
    const form = new FormData();
    photos.forEach((photo, i) => {
      form.append('photos', photo, `capture-${i + 1}.jpg`);
    });
    return apiRequest<SubmitResult>(`${base(token)}/submission`, { method: 'POST', body: form });
  },
};
