import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from '../auth/secrets.js';
import type { Actor } from '../domain/access.js';
import { type Invitation, type InvitationStatus, invitationStatus } from '../domain/enrolment.js';
import { FacegateError } from '../domain/errors.js';
import type { Employee } from '../domain/models.js';
import type { Store } from '../store/store.port.js';
import { resolveEmployee } from './employee.service.js';
import { auditEnrolment, captureUnavailable, enrolmentRepositories } from './enrolment-common.js';
import type { InvitationMailer } from './invitation-mailer.port.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** Default validity of an invitation link. */
export const INVITATION_TTL_DAYS = 7;
/** Longest validity an inviter may choose. */
export const MAX_INVITATION_DAYS = 30;
/** Most employees invited in one call. */
export const MAX_INVITATIONS_PER_CALL = 500;
/** Path of the enrolment page; the token follows it. */
export const ENROL_PATH = '/enrol/';

/** The hash an invitation token is stored and found under. */
export function tokenHashOf(token: string): string {
  return sha256Hex(token.trim());
}

/** An invitation with its employee, as inviters see it. */
export interface InvitationView {
  invitation: Invitation;
  status: InvitationStatus;
  employee: Pick<Employee, 'id' | 'badge' | 'firstName' | 'lastName' | 'email'>;
}

/** An invitation just created: the only time its token (and so its link) exists outside the invitee's hands. */
export interface CreatedInvitation extends InvitationView {
  token: string;
  /** `/enrol/<token>`, relative to the server's origin. */
  link: string;
  /** Present when e-mail delivery was asked for: whether the message went out, or why not. */
  email?: EmailDelivery;
}

/** Why an invitation e-mail was not sent: the employee has no address, or the SMTP server refused it. */
export type EmailFailure = 'no_address' | 'smtp_error';

/** The outcome of e-mailing one invitation. */
export interface EmailDelivery {
  sent: boolean;
  reason: EmailFailure | null;
}

/**
 * Invitations to self-service enrolment: single-use links bound to one employee, with an expiry (7 days by
 * default). Only a hash of each token is stored, so the link is shown once, when it is created; every creation and
 * revocation is audited.
 */
export class InvitationService extends GuardedService {
  private readonly store: Store;
  private readonly mailer: InvitationMailer | undefined;
  private readonly captureAvailable: boolean;

  constructor(
    deps: ServiceRuntime & {
      store: Store;
      mailer?: InvitationMailer | undefined;
      /** False where the enrolment page's capture step cannot run (no local face engine); default true. */
      captureAvailable?: boolean;
    },
  ) {
    super(deps);
    this.store = deps.store;
    this.mailer = deps.mailer;
    this.captureAvailable = deps.captureAvailable ?? true;
  }

  /**
   * Invites each employee (id or badge) once; all or nothing (an unknown employee refuses the whole call). With
   * `sendEmail`, each link is also e-mailed to its employee (`MAIL_NOT_CONFIGURED` without an SMTP server); a
   * message that cannot be sent leaves its invitation created and says why. `NOT_SUPPORTED` where the capture step
   * cannot run: a link that could only say so is not handed out.
   */
  async create(
    actor: Actor,
    input: { employees: readonly string[]; expiresInDays?: number; sendEmail?: boolean },
  ): Promise<CreatedInvitation[]> {
    await this.policy.authorize(actor, 'invitations:manage');
    // An employee must never receive a link whose capture step this deployment cannot run.
    if (!this.captureAvailable) throw captureUnavailable();
    enrolmentRepositories(this.store); // NOT_READY before any work on a store without enrolment
    const mailer = input.sendEmail ? this.mailer : undefined;
    if (input.sendEmail && !mailer) {
      throw new FacegateError(
        'MAIL_NOT_CONFIGURED',
        'E-mail delivery is not configured (FACEGATE_SMTP_URL); copy the links instead',
      );
    }
    const created = await this.createAll(actor, input);
    if (!mailer) return created;
    const delivered: CreatedInvitation[] = [];
    for (const invitation of created) {
      delivered.push({ ...invitation, email: await this.email(actor, mailer, invitation) });
    }
    return delivered;
  }

  /** E-mails one invitation's link and audits the outcome (never the token or link). */
  private async email(
    actor: Actor,
    mailer: InvitationMailer,
    created: CreatedInvitation,
  ): Promise<EmailDelivery> {
    const { employee, invitation } = created;
    if (!employee.email) return { sent: false, reason: 'no_address' };
    let delivery: EmailDelivery = { sent: true, reason: null };
    try {
      await mailer.send({
        to: employee.email,
        firstName: employee.firstName,
        link: mailer.publicUrl + created.link,
        expiresAt: invitation.expiresAt,
      });
    } catch (error) {
      // Only the error's codes are logged: its text may quote the message, and so the link.
      const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
      this.logger.warn({ invitationId: invitation.id, code, responseCode }, 'invitation e-mail not sent');
      delivery = { sent: false, reason: 'smtp_error' };
    }
    await auditEnrolment(this.store, actor, 'invitation.emailed', {
      outcome: delivery.sent ? 'success' : 'failure',
      at: this.clock.now().toISOString(),
      employeeId: employee.id,
      reason: delivery.reason,
      details: { invitationId: invitation.id, badge: employee.badge },
    });
    return delivery;
  }

  private async createAll(
    actor: Actor,
    input: { employees: readonly string[]; expiresInDays?: number },
  ): Promise<CreatedInvitation[]> {
    const days = input.expiresInDays ?? INVITATION_TTL_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > MAX_INVITATION_DAYS) {
      throw new FacegateError('VALIDATION_FAILED', `expiresInDays must be 1 to ${MAX_INVITATION_DAYS}`);
    }
    const keys = [...new Set(input.employees.map((e) => e.trim()))];
    if (keys.length === 0 || keys.length > MAX_INVITATIONS_PER_CALL) {
      throw new FacegateError('VALIDATION_FAILED', `Invite 1 to ${MAX_INVITATIONS_PER_CALL} employees`);
    }
    const employees: Employee[] = [];
    for (const key of keys) employees.push(await resolveEmployee(this.store, key));
    const now = this.clock.now();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
    return this.store.transaction(async (tx) => {
      const repo = enrolmentRepositories(tx).invitations;
      const created: CreatedInvitation[] = [];
      for (const employee of employees) {
        const token = randomBytes(24).toString('base64url');
        const invitation = await repo.create({
          id: randomUUID(),
          employeeId: employee.id,
          tokenHash: tokenHashOf(token),
          createdBy: actor.id,
          createdAt,
          expiresAt,
        });
        await auditEnrolment(tx, actor, 'enrolment.invite', {
          outcome: 'success',
          at: createdAt,
          employeeId: employee.id,
          details: { invitationId: invitation.id, badge: employee.badge, expiresAt },
        });
        created.push({ ...viewOf(invitation, employee, createdAt), token, link: ENROL_PATH + token });
      }
      return created;
    });
  }

  /** Invitations, newest first, optionally of one employee (id or badge). */
  async list(
    actor: Actor,
    query: { employee?: string; limit?: number; offset?: number } = {},
  ): Promise<InvitationView[]> {
    await this.policy.authorize(actor, 'invitations:manage');
    const { invitations } = enrolmentRepositories(this.store);
    const employeeId = query.employee ? (await resolveEmployee(this.store, query.employee)).id : undefined;
    const rows = await invitations.list({
      ...(employeeId ? { employeeId } : {}),
      limit: Math.min(Math.max(query.limit ?? 100, 1), 500),
      offset: Math.max(query.offset ?? 0, 0),
    });
    const now = this.clock.now().toISOString();
    const cache = new Map<string, Employee | undefined>();
    const views: InvitationView[] = [];
    for (const row of rows) {
      if (!cache.has(row.employeeId))
        cache.set(row.employeeId, await this.store.employees.get(row.employeeId));
      const employee = cache.get(row.employeeId);
      if (employee) views.push(viewOf(row, employee, now));
    }
    return views;
  }

  /** Revokes an invitation that is neither used nor revoked; `CONFLICT` otherwise, `NOT_FOUND` when unknown. */
  async revoke(actor: Actor, id: string): Promise<InvitationView> {
    await this.policy.authorize(actor, 'invitations:manage');
    const { invitations } = enrolmentRepositories(this.store);
    const invitation = await invitations.get(id);
    if (!invitation) throw new FacegateError('NOT_FOUND', 'Invitation not found');
    const at = this.clock.now().toISOString();
    if (!(await invitations.revoke(id, at))) {
      throw new FacegateError('CONFLICT', 'This invitation is already used or revoked');
    }
    await auditEnrolment(this.store, actor, 'enrolment.revoke', {
      outcome: 'success',
      at,
      employeeId: invitation.employeeId,
      details: { invitationId: id },
    });
    const employee = await resolveEmployee(this.store, invitation.employeeId);
    return viewOf({ ...invitation, revokedAt: at }, employee, at);
  }
}

function viewOf(invitation: Invitation, employee: Employee, now: string): InvitationView {
  const { id, badge, firstName, lastName, email } = employee;
  return {
    invitation,
    status: invitationStatus(invitation, now),
    employee: { id, badge, firstName, lastName, email },
  };
}
