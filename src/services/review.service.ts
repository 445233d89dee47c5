import type { BlobStore } from '../blobs/blob-store.port.js';
import { type Actor, systemActor } from '../domain/access.js';
import type { EnrolmentSubmission, Invitation, SubmissionStatus } from '../domain/enrolment.js';
import { FacegateError } from '../domain/errors.js';
import type { Employee } from '../domain/models.js';
import type { Store } from '../store/store.port.js';
import type { EnrollmentResult, EnrollmentService } from './enrollment.service.js';
import { auditEnrolment, enrolmentRepositories } from './enrolment-common.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** A submission as reviewers see it: who it is for and who invited them. */
export interface SubmissionView {
  submission: EnrolmentSubmission;
  employee: Pick<Employee, 'id' | 'badge' | 'firstName' | 'lastName'>;
  invitation: Pick<Invitation, 'id' | 'createdAt' | 'expiresAt'> & { invitedBy: string };
  /** Name of the reviewer who decided (null while waiting). */
  reviewedBy: string | null;
}

/** The actor of auto-approval. */
const AUTO_APPROVER = systemActor('enrolment-auto-approve');

/**
 * The review queue of self-service enrolment. Approval enrolls the kept captures through the normal enrollment
 * path (templates, gallery, gallery feed to the other nodes); rejection erases them. Either way the submission's
 * photos leave the submission, and every decision is audited with its reason.
 */
export class ReviewService extends GuardedService {
  private readonly store: Store;
  private readonly blobs: BlobStore;
  private readonly enrollment: Pick<EnrollmentService, 'enrollPhotos'>;

  constructor(
    deps: ServiceRuntime & {
      store: Store;
      blobs: BlobStore;
      enrollment: Pick<EnrollmentService, 'enrollPhotos'>;
    },
  ) {
    super(deps);
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.enrollment = deps.enrollment;
  }

  /** Submissions oldest first: by default those waiting (`pending`, `held`). */
  async queue(
    actor: Actor,
    query: { statuses?: readonly SubmissionStatus[]; limit?: number; offset?: number } = {},
  ): Promise<SubmissionView[]> {
    await this.policy.authorize(actor, 'submissions:review');
    const { submissions } = enrolmentRepositories(this.store);
    const rows = await submissions.list({
      statuses: query.statuses ?? ['pending', 'held'],
      limit: Math.min(Math.max(query.limit ?? 100, 1), 500),
      offset: Math.max(query.offset ?? 0, 0),
    });
    const views: SubmissionView[] = [];
    for (const row of rows) {
      const view = await this.viewOf(row);
      if (view) views.push(view);
    }
    return views;
  }

  /** One captured photo of a submission waiting for review (`NOT_FOUND` once decided: the photos are gone). */
  async photo(actor: Actor, id: string, index: number): Promise<{ bytes: Uint8Array; contentType: string }> {
    await this.policy.authorize(actor, 'submissions:review');
    await this.policy.authorize(actor, 'photos:read');
    const submission = await enrolmentRepositories(this.store).submissions.get(id);
    const key = submission?.photoKeys[index];
    const bytes = key ? await this.blobs.get(key) : undefined;
    if (!bytes) throw new FacegateError('NOT_FOUND', 'Photo not found');
    return { bytes, contentType: 'image/jpeg' };
  }

  /**
   * Approves: the captures are enrolled for the employee (a `held` submission with the reviewer's confirmation of
   * the duplicate or mismatch, both recorded by the enrollment audit), then the submission is closed.
   */
  async approve(actor: Actor, id: string, reason?: string | null): Promise<SubmissionView> {
    await this.policy.authorize(actor, 'submissions:review');
    await this.policy.authorize(actor, 'faces:enroll');
    return this.approveAs(actor, id, cleanReason(reason, false));
  }

  /** Rejects with a reason; the captured photos are erased. */
  async reject(actor: Actor, id: string, reason: string): Promise<SubmissionView> {
    await this.policy.authorize(actor, 'submissions:review');
    const submission = await this.open(id);
    const text = cleanReason(reason, true);
    const decidedAt = this.clock.now().toISOString();
    const decided = await this.store.transaction(async (tx) => {
      const ok = await enrolmentRepositories(tx).submissions.decide(id, {
        status: 'rejected',
        reviewerId: actor.id,
        reason: text,
        decidedAt,
      });
      if (ok) {
        await auditEnrolment(tx, actor, 'enrolment.reject', {
          outcome: 'success',
          at: decidedAt,
          employeeId: submission.employeeId,
          details: { submissionId: id, reason: text, photosErased: submission.photoKeys.length },
        });
      }
      return ok;
    });
    if (!decided) throw new FacegateError('CONFLICT', 'This submission was already decided');
    await this.erasePhotos(submission.photoKeys);
    return this.required(id);
  }

  /** Auto-approval of a submission that passed every check (the `autoApprove` setting); false when refused. */
  async approveAutomatically(id: string): Promise<boolean> {
    try {
      await this.approveAs(AUTO_APPROVER, id, 'auto-approved: every check passed');
      return true;
    } catch (error) {
      this.logger.warn({ submissionId: id, err: String(error) }, 'auto-approval failed; left for review');
      return false;
    }
  }

  private async approveAs(actor: Actor, id: string, reason: string | null): Promise<SubmissionView> {
    const submission = await this.open(id);
    const photos: Array<{ bytes: Uint8Array; contentType: string }> = [];
    for (const key of submission.photoKeys) {
      const bytes = await this.blobs.get(key);
      if (bytes) photos.push({ bytes, contentType: 'image/jpeg' });
    }
    if (photos.length === 0) throw new FacegateError('CONFLICT', 'The photos of this submission are gone');
    const confirmed = submission.status === 'held';
    const result = await this.enrollment.enrollPhotos(submission.employeeId, photos, actor, {
      force: confirmed,
      confirmMismatch: confirmed,
    });
    if (!result.photos.some((p) => p.accepted)) {
      throw new FacegateError('CONFLICT', 'No photo of this submission could be enrolled', {
        reasons: refusalCodes(result),
      });
    }
    const decidedAt = this.clock.now().toISOString();
    const decided = await this.store.transaction(async (tx) => {
      const ok = await enrolmentRepositories(tx).submissions.decide(id, {
        status: 'approved',
        reviewerId: actor.id,
        reason,
        decidedAt,
      });
      if (ok) {
        await auditEnrolment(tx, actor, 'enrolment.approve', {
          outcome: 'success',
          at: decidedAt,
          employeeId: submission.employeeId,
          details: {
            submissionId: id,
            added: result.added,
            templateIds: result.photos.flatMap((p) => (p.templateId ? [p.templateId] : [])),
            ...(confirmed ? { confirmedHeld: true } : {}),
            ...(reason ? { reason } : {}),
          },
        });
      }
      return ok;
    });
    if (!decided) throw new FacegateError('CONFLICT', 'This submission was already decided');
    await this.erasePhotos(submission.photoKeys);
    return this.required(id);
  }

  /** A submission still waiting for a decision; `NOT_FOUND` or `CONFLICT`. */
  private async open(id: string): Promise<EnrolmentSubmission> {
    const submission = await enrolmentRepositories(this.store).submissions.get(id);
    if (!submission) throw new FacegateError('NOT_FOUND', 'Submission not found');
    if (submission.status !== 'pending' && submission.status !== 'held') {
      throw new FacegateError('CONFLICT', 'This submission was already decided');
    }
    return submission;
  }

  /** Deletes the submission's photo blobs that no template kept (an approval with kept photos shares them). */
  private async erasePhotos(keys: readonly string[]): Promise<void> {
    const referenced = new Set([
      ...(await this.store.templates.listPhotoKeys()),
      ...(await enrolmentRepositories(this.store).submissions.listPhotoKeys()),
    ]);
    for (const key of keys) if (!referenced.has(key)) await this.blobs.delete(key);
  }

  private async required(id: string): Promise<SubmissionView> {
    const submission = await enrolmentRepositories(this.store).submissions.get(id);
    const view = submission && (await this.viewOf(submission));
    if (!view) throw new FacegateError('NOT_FOUND', 'Submission not found');
    return view;
  }

  private async viewOf(submission: EnrolmentSubmission): Promise<SubmissionView | undefined> {
    const employee = await this.store.employees.get(submission.employeeId);
    const invitation = await enrolmentRepositories(this.store).invitations.get(submission.invitationId);
    if (!employee || !invitation) return undefined;
    return {
      submission,
      employee: {
        id: employee.id,
        badge: employee.badge,
        firstName: employee.firstName,
        lastName: employee.lastName,
      },
      invitation: {
        id: invitation.id,
        createdAt: invitation.createdAt,
        expiresAt: invitation.expiresAt,
        invitedBy: await this.nameOf(invitation.createdBy),
      },
      reviewedBy: submission.reviewerId ? await this.nameOf(submission.reviewerId) : null,
    };
  }

  /** A user's name, an API key's name, or the id (CLI operator). */
  private async nameOf(actorId: string): Promise<string> {
    const user = await this.store.users.get(actorId);
    if (user) return user.username;
    return (await this.store.apiKeys.get(actorId))?.name ?? actorId;
  }
}

function cleanReason(reason: string | null | undefined, required: boolean): string | null {
  const text = reason?.trim() ?? '';
  if (text.length > 500)
    throw new FacegateError('VALIDATION_FAILED', 'The reason has at most 500 characters');
  if (required && text.length === 0) throw new FacegateError('VALIDATION_FAILED', 'Give a reason');
  return text.length > 0 ? text : null;
}

function refusalCodes(result: EnrollmentResult): string[] {
  return [...new Set(result.photos.flatMap((p) => p.reasons.map((r) => r.code)))];
}
