/** The steps of the enrolment page and where a freshly loaded link starts (pure, no DOM). */
import type { EnrolmentPage } from './enrol-api.js';

export type Step =
  | { name: 'loading' }
  | { name: 'closed'; message: string }
  /** This deployment cannot run the capture step: the page says so before asking for anything. */
  | { name: 'unavailable'; page: EnrolmentPage }
  | { name: 'consent'; page: EnrolmentPage }
  | { name: 'liveness'; page: EnrolmentPage }
  | { name: 'photos'; page: EnrolmentPage }
  | { name: 'status'; page: EnrolmentPage };

/** What the page says, in plain words, for a code that ends the visit. */
export const CLOSED_MESSAGES: Readonly<Record<string, string>> = {
  INVITATION_EXPIRED: 'This link has expired. Ask your administrator for a new one.',
  INVITATION_REVOKED: 'This link was withdrawn. Ask your administrator for a new one.',
  NOT_FOUND: 'This link is not valid. Check that you opened the whole link.',
  NOT_SUPPORTED:
    'Taking your photos through this link is not available on this system, and nothing was recorded. Please ' +
    'contact the person who sent you the link: an enroller can take your photos in person.',
};

/**
 * The step a freshly loaded page starts at: the outcome once submitted, the refusal where capture cannot run here
 * (before consent: the employee spends no effort on it), then consent and the camera steps.
 */
export function stepOf(page: EnrolmentPage): Step {
  if (page.status === 'used' || page.submission) return { name: 'status', page };
  // A server that does not say is one that runs the capture step.
  if (page.captureAvailable === false) return { name: 'unavailable', page };
  return page.consentAccepted ? { name: 'liveness', page } : { name: 'consent', page };
}
