import { randomUUID } from 'node:crypto';
import type { DataCipher } from '../crypto/data-cipher.js';
import type { Actor } from '../domain/access.js';
import {
  type EnrolmentSubmission,
  type Invitation,
  type InvitationStatus,
  invitationStatus,
  type SubmissionChecks,
  type SubmissionStatus,
} from '../domain/enrolment.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { Employee } from '../domain/models.js';
import { cosine } from '../engine/embedder.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { PhotoInput } from './enrollment.service.js';
import {
  AUTO_APPROVE_KEY,
  auditEnrolment,
  CONSENT_KEY,
  type ConsentText,
  captureUnavailable,
  type EnrolmentSettingsView,
  enrolmentRepositories,
  readEnrolmentSettings,
} from './enrolment-common.js';
import { tokenHashOf } from './invitation.service.js';
import type { ChallengeAnswer, IssuedChallenge, LivenessService } from './liveness.service.js';
import { currentThreshold, roundScore } from './match-settings.js';
import type { ReviewService } from './review.service.js';
import { ServiceBase, type ServiceDeps } from './service-context.js';

/** Captures a submission holds. */
export const CAPTURES = { min: 3, max: 5 } as const;
/** How long a passed challenge may be followed by the submission of the captures. */
export const PASS_TTL_MS = 15 * 60_000;
const passKey = (invitationId: string) => `enrolment:liveness-pass:${invitationId}`;

/** Plain-language hints of the reasons a capture is refused, for the enrolment page. */
const HINTS: Record<string, string> = {
  NO_FACE: 'We could not see your face. Look straight at the camera.',
  MULTIPLE_FACES: 'Only you should be in the picture.',
  SMALL_FACE: 'Move closer to the camera.',
  EXTREME_POSE: 'Look straight at the camera.',
  LOW_SHARPNESS: 'Hold still: the photo is blurred.',
  LOW_BRIGHTNESS: 'More light, please: face a window or a lamp.',
  OVEREXPOSED: 'Too bright: move out of direct light.',
  FACE_CUT_OFF: 'Keep your whole face inside the frame.',
  FACE_MISMATCH: 'These photos must show the person who did the liveness check.',
};

/** What the enrolment page shows for a link. */
export interface EnrolmentPage {
  firstName: string;
  status: InvitationStatus;
  expiresAt: string;
  consent: ConsentText;
  /** The version the employee accepted, when it is the one in force. */
  consentAccepted: boolean;
  /** A passed challenge waits for the captures (a reloaded page goes straight to the photos). */
  livenessPassed: boolean;
  /**
   * Whether this deployment can run the capture step (the liveness challenge and the photos need the local face
   * engine). When false every step after opening the link is refused with `NOT_SUPPORTED`: the page says so first.
   */
  captureAvailable: boolean;
  submission: Pick<EnrolmentSubmission, 'status' | 'reason' | 'createdAt' | 'decidedAt'> | null;
}

/** One capture's outcome. */
export interface CaptureResult {
  accepted: boolean;
  reasons: Array<{ code: string; hint: string }>;
}

/** What submitting captures did: stored for review, or some captures must be taken again. */
export type SubmitResult =
  | { outcome: 'submitted'; status: SubmissionStatus; photos: CaptureResult[] }
  | { outcome: 'retake'; photos: CaptureResult[] };

/** What a passed challenge leaves for the submission: the live face, encrypted in the shared state. */
interface LivenessPass {
  embedding: number[];
  checks: SubmissionChecks['liveness'];
}

interface Analysed {
  photo: PhotoInput;
  embedding: Float32Array;
}

/**
 * Self-service enrolment through an invitation link: consent, a liveness challenge bound to the invitation, then
 * 3–5 captures of the same live face. The captures pass the quality gate, a duplicate check against the whole
 * gallery and a consistency check with the employee's own faces; they are kept encrypted and become templates only
 * when approved ({@link ReviewService}). Without a passed challenge nothing is accepted. Where the deployment cannot
 * run the capture step (no local face engine), consent, the challenge and the captures are refused with
 * `NOT_SUPPORTED` before any work, and the page is told so when the link is opened.
 */
export class SelfEnrolmentService extends ServiceBase {
  private readonly liveness: Pick<LivenessService, 'issueChallenge' | 'answer'>;
  private readonly state: SharedState;
  private readonly cipher: DataCipher;
  private readonly review: Pick<ReviewService, 'approveAutomatically'>;
  private readonly captureAvailable: boolean;

  constructor(
    deps: ServiceDeps & {
      liveness: Pick<LivenessService, 'issueChallenge' | 'answer'>;
      state: SharedState;
      cipher: DataCipher;
      review: Pick<ReviewService, 'approveAutomatically'>;
      /** False where the capture step cannot run (no local face engine); default true. */
      captureAvailable?: boolean;
    },
  ) {
    super(deps);
    this.liveness = deps.liveness;
    this.state = deps.state;
    this.cipher = deps.cipher;
    this.review = deps.review;
    this.captureAvailable = deps.captureAvailable ?? true;
  }

  /** What the page shows for a link; `INVITATION_EXPIRED` / `INVITATION_REVOKED` / `NOT_FOUND` refuse it. */
  async open(token: string, ip: string | null): Promise<EnrolmentPage> {
    const { invitation, employee, status } = await this.resolve(token, ip, { allowUsed: true });
    const { consent } = await readEnrolmentSettings(this.store);
    const submission = await enrolmentRepositories(this.store).submissions.getByInvitation(invitation.id);
    return {
      firstName: employee.firstName,
      status,
      expiresAt: invitation.expiresAt,
      consent,
      consentAccepted: invitation.consentVersion === consent.version,
      captureAvailable: this.captureAvailable,
      livenessPassed: status === 'open' && (await this.state.peekItem(passKey(invitation.id))) !== undefined,
      submission: submission
        ? {
            status: submission.status,
            reason: submission.reason,
            createdAt: submission.createdAt,
            decidedAt: submission.decidedAt,
          }
        : null,
    };
  }

  /** Records the consent; `CONFLICT` when `version` is not the text in force (the page must show it again). */
  async acceptConsent(token: string, version: string, ip: string | null): Promise<void> {
    const { invitation, actor } = await this.resolve(token, ip, { capture: true });
    const { consent } = await readEnrolmentSettings(this.store);
    const at = this.clock.now().toISOString();
    if (version !== consent.version) {
      throw new FacegateError('CONFLICT', 'The consent text has changed; read it again', {
        version: consent.version,
      });
    }
    await enrolmentRepositories(this.store).invitations.recordConsent(invitation.id, version, at);
    await auditEnrolment(this.store, actor, 'enrolment.consent', {
      outcome: 'success',
      at,
      employeeId: invitation.employeeId,
      details: { invitationId: invitation.id, consentVersion: version },
    });
  }

  /** A liveness challenge bound to this invitation (after consent). */
  async issueChallenge(
    token: string,
    ip: string | null,
    input: { exclude?: readonly string[] } = {},
  ): Promise<IssuedChallenge> {
    const { actor, invitation } = await this.resolve(token, ip, { capture: true });
    await this.requireConsent(invitation);
    return this.liveness.issueChallenge(actor, input);
  }

  /** Answers the challenge; a pass is remembered (encrypted, 15 minutes) for the submission of the captures. */
  async answerChallenge(
    token: string,
    answer: ChallengeAnswer,
    ip: string | null,
  ): Promise<{ outcome: 'pass' | 'retry' | 'refused'; hint?: string; code?: string }> {
    const { actor, invitation } = await this.resolve(token, ip, { capture: true });
    await this.requireConsent(invitation);
    const outcome = await this.liveness.answer(actor, answer, 'enrolment');
    if (outcome.outcome === 'pass' && outcome.best) {
      const pass: LivenessPass = {
        embedding: [...outcome.best.analysis.embedding],
        checks: {
          outcome: 'pass',
          checks: outcome.checks.map(({ check, passed, reason }) => ({ check, passed, reason })),
        },
      };
      const sealed = this.cipher.encrypt(Buffer.from(JSON.stringify(pass)), passKey(invitation.id));
      await this.state.putItem(passKey(invitation.id), Buffer.from(sealed).toString('base64'), PASS_TTL_MS);
    }
    return {
      outcome: outcome.outcome === 'pass' && !outcome.best ? 'retry' : outcome.outcome,
      ...(outcome.hint ? { hint: outcome.hint } : {}),
      ...(outcome.code ? { code: outcome.code } : {}),
    };
  }

  /**
   * Submits 3–5 captures after a passed challenge (`LIVENESS_REQUIRED` without one). Captures that fail the quality
   * gate or show another face than the challenge come back with hints (`retake`); otherwise they are stored for
   * review, `held` when the face matches another employee or not the employee's own enrolled faces.
   */
  async submit(token: string, photos: readonly PhotoInput[], ip: string | null): Promise<SubmitResult> {
    const { actor, invitation, employee } = await this.resolve(token, ip, { capture: true });
    await this.requireConsent(invitation);
    if (photos.length < CAPTURES.min || photos.length > CAPTURES.max) {
      throw new FacegateError('VALIDATION_FAILED', `Send ${CAPTURES.min} to ${CAPTURES.max} photos`);
    }
    const at = () => this.clock.now().toISOString();
    const pass = await this.readPass(invitation.id);
    if (!pass) {
      await auditEnrolment(this.store, actor, 'enrolment.submit', {
        outcome: 'refused',
        reason: 'LIVENESS_REQUIRED',
        at: at(),
        employeeId: employee.id,
        details: { invitationId: invitation.id },
      });
      throw new FacegateError('LIVENESS_REQUIRED', 'Pass the liveness check first, then take the photos');
    }
    const { threshold } = await currentThreshold(
      this.store,
      this.config,
      this.engine.info.model,
      this.thresholds,
    );
    const { results, analysed } = await this.assess(photos, Float32Array.from(pass.embedding), threshold);
    if (analysed.length !== photos.length) {
      await auditEnrolment(this.store, actor, 'enrolment.submit', {
        outcome: 'retake',
        reason: results.flatMap((r) => r.reasons.map((x) => x.code))[0] ?? null,
        at: at(),
        employeeId: employee.id,
        details: { invitationId: invitation.id, photos: photos.length, accepted: analysed.length },
      });
      return { outcome: 'retake', photos: results };
    }
    const checks = await this.checks(employee, analysed, results, pass, threshold);
    const duplicate = checks.duplicate;
    const status: SubmissionStatus =
      duplicate || (checks.consistency && !checks.consistency.passed) ? 'held' : 'pending';
    const submission = await this.persist(actor, invitation, employee, analysed, { checks, status });
    await this.state.takeItem(passKey(invitation.id));
    if (status === 'pending' && (await readEnrolmentSettings(this.store)).autoApprove) {
      const approved = await this.review.approveAutomatically(submission.id);
      return { outcome: 'submitted', status: approved ? 'approved' : status, photos: results };
    }
    return { outcome: 'submitted', status, photos: results };
  }

  /** The self-service enrolment settings (consent text and version, auto-approval), and whether capture runs. */
  async settings(actor: Actor): Promise<EnrolmentSettingsView> {
    await this.policy.authorize(actor, 'settings:read');
    return { ...(await readEnrolmentSettings(this.store)), captureAvailable: this.captureAvailable };
  }

  /** Changes the consent text (a new version each time it changes) and auto-approval; audited. */
  async updateSettings(
    actor: Actor,
    patch: { consentText?: string; autoApprove?: boolean },
  ): Promise<EnrolmentSettingsView> {
    await this.policy.authorize(actor, 'settings:write');
    const current = await readEnrolmentSettings(this.store);
    const text = patch.consentText?.trim();
    if (text !== undefined && (text.length < 20 || text.length > 10_000)) {
      throw new FacegateError('VALIDATION_FAILED', 'The consent text must have 20 to 10,000 characters');
    }
    await this.store.transaction(async (tx) => {
      if (text !== undefined && text !== current.consent.text) {
        const n = Number.parseInt(current.consent.version, 10);
        const version = String(Number.isFinite(n) ? n + 1 : 1);
        await tx.settings.set<ConsentText>(CONSENT_KEY, { version, text });
      }
      if (patch.autoApprove !== undefined) {
        await tx.settings.set(AUTO_APPROVE_KEY, patch.autoApprove ? true : undefined);
      }
      const next = await readEnrolmentSettings(tx);
      await auditEnrolment(tx, actor, 'enrolment.settings', {
        outcome: 'success',
        at: this.clock.now().toISOString(),
        details: { consentVersion: next.consent.version, autoApprove: next.autoApprove },
      });
    });
    return { ...(await readEnrolmentSettings(this.store)), captureAvailable: this.captureAvailable };
  }

  /** Quality gate and same-person check of every capture against the face that passed the challenge. */
  private async assess(
    photos: readonly PhotoInput[],
    live: Float32Array,
    threshold: number,
  ): Promise<{ results: CaptureResult[]; analysed: Analysed[] }> {
    const results: CaptureResult[] = [];
    const analysed: Analysed[] = [];
    for (const photo of photos) {
      const codes: string[] = [];
      try {
        const analysis = await this.engine.analyze(photo.bytes);
        codes.push(...analysis.face.quality.issues.map((i) => i.code));
        if (codes.length === 0 && cosine(analysis.embedding, live) < threshold) codes.push('FACE_MISMATCH');
        if (codes.length === 0) analysed.push({ photo, embedding: analysis.embedding });
      } catch (error) {
        if (!isFacegateError(error)) throw error;
        if (error.code === 'OVERLOADED' || error.code === 'NOT_READY') throw error;
        codes.push(error.code);
      }
      results.push({
        accepted: codes.length === 0,
        reasons: codes.map((code) => ({ code, hint: HINTS[code] ?? 'Please take this photo again.' })),
      });
    }
    return { results, analysed };
  }

  /** Duplicate check against the whole gallery and consistency with the employee's enrolled faces. */
  private async checks(
    employee: Employee,
    analysed: readonly Analysed[],
    results: readonly CaptureResult[],
    pass: LivenessPass,
    threshold: number,
  ): Promise<SubmissionChecks> {
    let duplicate: { employeeId: string; score: number } | null = null;
    let consistency: number | null = null;
    for (const { photo, embedding } of analysed) {
      // Through the matcher: the captures were analysed by the local engine (the liveness challenge needs it).
      const probe = { photo: photo.bytes, issues: [], timings: {}, embedding };
      const other = await this.matcher.findDuplicate(probe, threshold, employee.id);
      if (other && (!duplicate || other.score > duplicate.score)) duplicate = other;
      const own = await this.matcher.verify(employee.id, probe, threshold);
      const score = 'score' in own ? own.score : null;
      if (score !== null) consistency = consistency === null ? score : Math.min(consistency, score);
    }
    return {
      liveness: pass.checks,
      photos: results.map((r) => ({
        accepted: r.accepted,
        reasons: r.reasons.map((x) => ({ code: x.code, message: x.hint })),
      })),
      duplicate: duplicate
        ? {
            employeeId: duplicate.employeeId,
            badge: null,
            score: roundScore(duplicate.score),
            threshold: roundScore(threshold),
          }
        : null,
      consistency:
        consistency === null
          ? null
          : {
              score: roundScore(consistency),
              threshold: roundScore(threshold),
              passed: consistency >= threshold,
            },
    };
  }

  /** Writes the photos (encrypted blobs), then uses the link and stores the submission with its audit record. */
  private async persist(
    actor: Actor,
    invitation: Invitation,
    employee: Employee,
    analysed: readonly Analysed[],
    outcome: { checks: SubmissionChecks; status: SubmissionStatus },
  ): Promise<EnrolmentSubmission> {
    const { checks, status } = outcome;
    if (checks.duplicate) {
      checks.duplicate.badge = (await this.store.employees.get(checks.duplicate.employeeId))?.badge ?? null;
    }
    const keys: string[] = [];
    for (const { photo } of analysed)
      keys.push(await this.blobs.put(photo.bytes, photo.contentType ?? 'image/jpeg'));
    const at = this.clock.now().toISOString();
    try {
      return await this.store.transaction(async (tx) => {
        const repos = enrolmentRepositories(tx);
        if (!(await repos.invitations.markUsed(invitation.id, at))) throw this.refusal(invitation, at);
        const submission = await repos.submissions.create({
          id: randomUUID(),
          invitationId: invitation.id,
          employeeId: employee.id,
          status,
          checks,
          consentVersion: invitation.consentVersion ?? '',
          photoKeys: [...new Set(keys)],
          createdAt: at,
        });
        await auditEnrolment(tx, actor, 'enrolment.submit', {
          outcome: 'success',
          reason: checks.duplicate
            ? 'DUPLICATE_FACE'
            : checks.consistency?.passed === false
              ? 'FACE_MISMATCH'
              : null,
          at,
          employeeId: employee.id,
          details: {
            invitationId: invitation.id,
            submissionId: submission.id,
            status,
            photos: keys.length,
            consentVersion: submission.consentVersion,
            ...(checks.duplicate
              ? { duplicateOf: checks.duplicate.employeeId, score: checks.duplicate.score }
              : {}),
            ...(checks.consistency ? { consistency: checks.consistency.score } : {}),
          },
        });
        return submission;
      });
    } catch (error) {
      const referenced = new Set(await this.store.templates.listPhotoKeys());
      for (const key of keys) if (!referenced.has(key)) await this.blobs.delete(key);
      throw error;
    }
  }

  private async readPass(invitationId: string): Promise<LivenessPass | undefined> {
    const value = await this.state.peekItem(passKey(invitationId));
    if (!value) return undefined;
    const plain = this.cipher.decrypt(Buffer.from(value, 'base64'), passKey(invitationId));
    return JSON.parse(Buffer.from(plain).toString('utf8')) as LivenessPass;
  }

  private async requireConsent(invitation: Invitation): Promise<void> {
    const { consent } = await readEnrolmentSettings(this.store);
    if (invitation.consentVersion !== consent.version) {
      throw new FacegateError('CONFLICT', 'Accept the consent text first', { version: consent.version });
    }
  }

  /**
   * The invitation of a token with its employee, refused (and audited) when unknown, expired, revoked or, unless
   * `allowUsed`, already used; with `capture`, also where this deployment cannot run the capture step.
   */
  private async resolve(
    token: string,
    ip: string | null,
    options: { allowUsed?: boolean; capture?: boolean } = {},
  ): Promise<{ invitation: Invitation; employee: Employee; status: InvitationStatus; actor: Actor }> {
    const { invitations } = enrolmentRepositories(this.store);
    const invitation =
      token.length > 0 && token.length <= 128
        ? await invitations.getByTokenHash(tokenHashOf(token))
        : undefined;
    const at = this.clock.now().toISOString();
    if (!invitation) {
      await auditEnrolment(this.store, { type: 'system', id: 'enrolment', ip }, 'enrolment.access', {
        outcome: 'refused',
        reason: 'NOT_FOUND',
        at,
      });
      throw new FacegateError('NOT_FOUND', 'This enrolment link is unknown');
    }
    const actor: Actor = { type: 'system', id: `enrolment:${invitation.id}`, name: 'self-enrolment', ip };
    const status = invitationStatus(invitation, at);
    if (status !== 'open' && !(status === 'used' && options.allowUsed)) {
      const error = this.refusal(invitation, at);
      await this.auditRefusal(actor, invitation, error, at);
      throw error;
    }
    // A step that cannot run here is refused before the employee spends any effort on it.
    if (options.capture && !this.captureAvailable) {
      const error = captureUnavailable();
      await this.auditRefusal(actor, invitation, error, at);
      throw error;
    }
    const employee = await this.store.employees.get(invitation.employeeId);
    if (!employee) throw new FacegateError('NOT_FOUND', 'This enrolment link is unknown');
    return { invitation, employee, status, actor };
  }

  private async auditRefusal(
    actor: Actor,
    invitation: Invitation,
    error: FacegateError,
    at: string,
  ): Promise<void> {
    await auditEnrolment(this.store, actor, 'enrolment.access', {
      outcome: 'refused',
      reason: error.code,
      at,
      employeeId: invitation.employeeId,
      details: { invitationId: invitation.id },
    });
  }

  private refusal(invitation: Invitation, at: string): FacegateError {
    const status = invitationStatus(invitation, at);
    if (status === 'revoked')
      return new FacegateError('INVITATION_REVOKED', 'This enrolment link was revoked');
    if (status === 'expired')
      return new FacegateError('INVITATION_EXPIRED', 'This enrolment link has expired');
    return new FacegateError('INVITATION_USED', 'This enrolment link was already used');
  }
}
