import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { EnrolmentSubmissionRepository, InvitationRepository, Store } from '../store/store.port.js';

/** Settings key of the consent text shown before self-service enrolment: `{ version, text }`. */
export const CONSENT_KEY = 'enrolment.consent';
/** Settings key of auto-approval of submissions that pass every check (off when absent). */
export const AUTO_APPROVE_KEY = 'enrolment.autoApprove';

/** The consent text in force and its version (a new version each time the text changes). */
export interface ConsentText {
  version: string;
  text: string;
}

/** The consent shown until an admin writes the company's own. */
export const DEFAULT_CONSENT: ConsentText = {
  version: '1',
  text: [
    'What is stored: the photos you take here, and face templates (numbers computed from them) once an enroller',
    'approves them. The photos are encrypted; nobody outside this company receives them.',
    'What it is for: opening doors and signing in with your face at company kiosks, nothing else.',
    'Who sees it: enrollers and admins review your photos before they are used; every access is logged.',
    'How long: until you leave or ask for erasure. A rejected submission is erased at once.',
    'How to have it erased: ask your administrator; erasure removes every photo and template.',
  ].join('\n'),
};

/** Self-service enrolment settings, as admins read and change them. */
export interface EnrolmentSettings {
  consent: ConsentText;
  autoApprove: boolean;
}

/** The settings as admins read them, with whether this deployment can run the capture step at all. */
export interface EnrolmentSettingsView extends EnrolmentSettings {
  captureAvailable: boolean;
}

/**
 * The refusal of a self-service step this deployment cannot run: the capture step (the liveness challenge and the
 * photos) needs the local face engine, which a remote collection (`FACEGATE_ENGINE=rekognition`) does not give.
 */
export function captureUnavailable(): FacegateError {
  return new FacegateError(
    'NOT_SUPPORTED',
    'Self-service capture is not available on this deployment: its liveness challenge and photos need the local face engine (FACEGATE_ENGINE=local); an enroller must add the photos instead',
    { feature: 'self-enrolment-capture' },
  );
}

/** The self-service enrolment settings in force. */
export async function readEnrolmentSettings(store: Store): Promise<EnrolmentSettings> {
  const consent = await store.settings.get<ConsentText>(CONSENT_KEY);
  const valid = consent && typeof consent.text === 'string' && typeof consent.version === 'string';
  return {
    consent: valid ? consent : DEFAULT_CONSENT,
    autoApprove: (await store.settings.get<boolean>(AUTO_APPROVE_KEY)) === true,
  };
}

/**
 * The enrolment repositories of a store, or `NOT_READY` on a store adapter without them (every shipped store has
 * them; the in-memory test store does not).
 */
export function enrolmentRepositories(store: Store): {
  invitations: InvitationRepository;
  submissions: EnrolmentSubmissionRepository;
} {
  const { invitations, enrolmentSubmissions } = store;
  if (!invitations || !enrolmentSubmissions) {
    throw new FacegateError(
      'NOT_READY',
      `Self-service enrolment is not available on the ${store.kind} store`,
      { store: store.kind },
    );
  }
  return { invitations, submissions: enrolmentSubmissions };
}

/** Appends one audit record of self-service enrolment. */
export async function auditEnrolment(
  store: Store,
  actor: Actor,
  action: string,
  record: {
    outcome: string;
    at: string;
    employeeId?: string | null;
    reason?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await store.audit.append({
    action,
    outcome: record.outcome,
    reason: record.reason ?? null,
    actorType: actor.type,
    actorId: actor.id,
    employeeId: record.employeeId ?? null,
    ip: actor.ip ?? null,
    at: record.at,
    details: record.details ?? {},
  });
}
