import {
  type EnrolmentSubmission,
  type Invitation,
  type NewEnrolmentSubmission,
  type NewInvitation,
  SUBMISSION_STATUSES,
  type SubmissionChecks,
  type SubmissionDecision,
  type SubmissionStatus,
} from '../../domain/enrolment.js';
import { FacegateError } from '../../domain/errors.js';
import type { EnrolmentSubmissionRepository, InvitationRepository } from '../store.port.js';
import { claim, clampInt, releaseClaim } from './dynamodb-claims.js';
import type { DynamoCondition, DynamoItem, DynamoOps, DynamoRunner } from './dynamodb-runner.js';

/** Partition of invitations (sk = invitation id) and of their token-hash claims (sk = SHA-256 hex of the token). */
const INVITATION = 'INVITATION';
const INVITE_TOKEN = 'INVITETOKEN';
/** Partition of submissions (sk = submission id); `INVSUB#<invitation>` items (sk = `<created>#<id>`) find them. */
const SUBMISSION = 'SUBMISSION';
const bySubmissionOf = (invitationId: string) => `INVSUB#${invitationId}`;
/** Revision counter of invitations and submissions: every change is a put conditioned on the revision it read. */
const REVISION = 'rev';
/** Attempts of one change when other writers keep changing the item between its read and its write. */
const MAX_ATTEMPTS = 8;

function nullable(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

function referenceMissing(): FacegateError {
  return new FacegateError('NOT_FOUND', 'Referenced record does not exist');
}

/**
 * Applies `change` to the stored item and writes it back only if nobody wrote it since it was read (its revision),
 * re-reading after a lost race. `change` answers the fields to write, or undefined when the change does not apply
 * to what is stored now. False when the item is absent or the change does not apply.
 *
 * Without UpdateItem (the functions' IAM policy grants none), this is how a field changes without overwriting a
 * concurrent change of another field (a revocation must never be undone by a consent recorded at the same time).
 */
async function revise(
  ops: DynamoOps,
  pk: string,
  sk: string,
  change: (item: DynamoItem) => DynamoItem | undefined,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const item = await ops.get(pk, sk);
    if (!item) return false;
    const fields = change(item);
    if (!fields) return false;
    const read = item[REVISION];
    const condition: DynamoCondition =
      typeof read === 'number'
        ? { expression: '#rev = :rev', names: { '#rev': REVISION }, values: { ':rev': read } }
        : { expression: 'attribute_exists(pk) AND attribute_not_exists(#rev)', names: { '#rev': REVISION } };
    const next = (typeof read === 'number' ? read : 0) + 1;
    if (await ops.put({ ...item, ...fields, [REVISION]: next }, condition)) return true;
  }
  throw new FacegateError('CONFLICT', 'The record kept changing while it was being updated; try again');
}

function toInvitation(item: DynamoItem): Invitation {
  return {
    id: String(item.id),
    employeeId: String(item.employeeId),
    tokenHash: String(item.tokenHash),
    createdBy: String(item.createdBy),
    createdAt: String(item.createdAt),
    expiresAt: String(item.expiresAt),
    revokedAt: nullable(item.revokedAt),
    usedAt: nullable(item.usedAt),
    consentVersion: nullable(item.consentVersion),
    consentedAt: nullable(item.consentedAt),
  };
}

/** Newest first, then by id (the SQL stores' `ORDER BY created_at DESC, id`). */
function newestFirst(a: Invitation, b: Invitation): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Oldest first, then by id (the SQL stores' `ORDER BY created_at, id`). */
function oldestFirst(a: EnrolmentSubmission, b: EnrolmentSubmission): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function page<T>(items: T[], query: { limit: number; offset: number }): T[] {
  const limit = clampInt(query.limit, 100, 0, Number.MAX_SAFE_INTEGER);
  const offset = clampInt(query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  return items.slice(offset, offset + limit);
}

function ofEmployee(employeeId: string): DynamoCondition {
  return { expression: '#e = :e', names: { '#e': 'employeeId' }, values: { ':e': employeeId } };
}

/**
 * DynamoDB self-service enrolment invitations: one item per invitation and a claim item per token hash (unique,
 * as the SQL stores' index); the raw token is never stored. Single use rests on a conditional write: of two
 * concurrent `markUsed` calls exactly one finds the invitation unused.
 */
export class DynamoInvitationRepository implements InvitationRepository {
  constructor(private readonly run: DynamoRunner) {}

  async create(invitation: NewInvitation): Promise<Invitation> {
    const item: DynamoItem = {
      pk: INVITATION,
      sk: invitation.id,
      type: 'invitation',
      id: invitation.id,
      employeeId: invitation.employeeId,
      tokenHash: invitation.tokenHash,
      createdBy: invitation.createdBy,
      createdAt: invitation.createdAt,
      expiresAt: invitation.expiresAt,
      revokedAt: null,
      usedAt: null,
      consentVersion: null,
      consentedAt: null,
      [REVISION]: 0,
    };
    return this.run(async (ops) => {
      if (!(await ops.get('EMPLOYEE', invitation.employeeId))) throw referenceMissing();
      const held = async (owner: string) =>
        (await ops.get(INVITATION, owner))?.tokenHash === invitation.tokenHash;
      if (!(await claim(ops, INVITE_TOKEN, invitation.tokenHash, invitation.id, held))) {
        throw new FacegateError('CONFLICT', 'Invitation token already in use', {
          constraint: 'invitations.token_hash',
        });
      }
      if (!(await ops.putNew(item))) {
        throw new FacegateError('CONFLICT', 'Invitation already exists', { constraint: 'invitations.id' });
      }
      return toInvitation(item);
    });
  }

  async get(id: string): Promise<Invitation | undefined> {
    const item = await this.run((ops) => ops.get(INVITATION, id));
    return item && toInvitation(item);
  }

  async getByTokenHash(tokenHash: string): Promise<Invitation | undefined> {
    return this.run(async (ops) => {
      const claimed = await ops.get(INVITE_TOKEN, tokenHash);
      const item = claimed && (await ops.get(INVITATION, String(claimed.owner)));
      // A claim left by an interrupted write names an invitation that does not hold this hash.
      return item && item.tokenHash === tokenHash ? toInvitation(item) : undefined;
    });
  }

  /** Reads the invitation partition (of one employee when asked), then sorts and pages like the SQL stores. */
  async list(query: { employeeId?: string; limit: number; offset: number }): Promise<Invitation[]> {
    const filter = query.employeeId ? ofEmployee(query.employeeId) : undefined;
    const items = await this.run((ops) => ops.partition(INVITATION, filter));
    return page(items.map(toInvitation).sort(newestFirst), query);
  }

  revoke(id: string, at: string): Promise<boolean> {
    return this.run((ops) =>
      revise(ops, INVITATION, id, (item) =>
        nullable(item.revokedAt) === null && nullable(item.usedAt) === null ? { revokedAt: at } : undefined,
      ),
    );
  }

  markUsed(id: string, at: string): Promise<boolean> {
    return this.run((ops) =>
      revise(ops, INVITATION, id, (item) => {
        const open =
          nullable(item.revokedAt) === null && nullable(item.usedAt) === null && String(item.expiresAt) > at;
        return open ? { usedAt: at } : undefined;
      }),
    );
  }

  recordConsent(id: string, version: string, at: string): Promise<boolean> {
    return this.run((ops) =>
      revise(ops, INVITATION, id, () => ({ consentVersion: version, consentedAt: at })),
    );
  }
}

function toSubmission(item: DynamoItem): EnrolmentSubmission {
  return {
    id: String(item.id),
    invitationId: String(item.invitationId),
    employeeId: String(item.employeeId),
    status: item.status as SubmissionStatus,
    checks: JSON.parse(String(item.checks)) as SubmissionChecks,
    consentVersion: String(item.consentVersion),
    photoKeys: ((item.photoKeys as string[] | undefined) ?? []).map(String),
    reviewerId: nullable(item.reviewerId),
    reason: nullable(item.reason),
    createdAt: String(item.createdAt),
    decidedAt: nullable(item.decidedAt),
  };
}

/** The SQL stores' CHECK on the status column. */
function assertStatus(status: string): void {
  if (!(SUBMISSION_STATUSES as readonly string[]).includes(status)) {
    throw new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint: 'status' });
  }
}

/**
 * DynamoDB self-service enrolment submissions: one item per submission, and a lookup item per submission under
 * its invitation (`INVSUB#<invitation>`), so the link's latest submission is one small consistent query. A
 * decision is a conditional write on a `pending` or `held` submission: of two concurrent reviews exactly one
 * decides. Deleting an employee deletes their submissions and invitations ({@link deleteAllOf}), as the SQL
 * stores' cascade does.
 */
export class DynamoEnrolmentSubmissionRepository implements EnrolmentSubmissionRepository {
  constructor(private readonly run: DynamoRunner) {}

  async create(submission: NewEnrolmentSubmission): Promise<EnrolmentSubmission> {
    assertStatus(submission.status);
    const item: DynamoItem = {
      pk: SUBMISSION,
      sk: submission.id,
      type: 'submission',
      id: submission.id,
      invitationId: submission.invitationId,
      employeeId: submission.employeeId,
      status: submission.status,
      checks: JSON.stringify(submission.checks),
      consentVersion: submission.consentVersion,
      photoKeys: [...submission.photoKeys],
      reviewerId: null,
      reason: null,
      createdAt: submission.createdAt,
      decidedAt: null,
      [REVISION]: 0,
    };
    return this.run(async (ops) => {
      if (!(await ops.get('EMPLOYEE', submission.employeeId))) throw referenceMissing();
      if (!(await ops.get(INVITATION, submission.invitationId))) throw referenceMissing();
      if (!(await ops.putNew(item))) {
        throw new FacegateError('CONFLICT', 'Submission already exists', {
          constraint: 'enrolment_submissions.id',
        });
      }
      await ops.put({
        pk: bySubmissionOf(submission.invitationId),
        sk: `${submission.createdAt}#${submission.id}`,
        submissionId: submission.id,
      });
      return toSubmission(item);
    });
  }

  async get(id: string): Promise<EnrolmentSubmission | undefined> {
    const item = await this.run((ops) => ops.get(SUBMISSION, id));
    return item && toSubmission(item);
  }

  /** Newest first by `<created>#<id>` (the SQL stores' `ORDER BY created_at DESC, id DESC`). */
  async getByInvitation(invitationId: string): Promise<EnrolmentSubmission | undefined> {
    return this.run(async (ops) => {
      const entries = await ops.partition(bySubmissionOf(invitationId));
      entries.sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : -1));
      for (const entry of entries) {
        const item = await ops.get(SUBMISSION, String(entry.submissionId));
        if (item) return toSubmission(item);
      }
      return undefined;
    });
  }

  /** Reads the submission partition (of the given statuses), then sorts and pages like the SQL stores. */
  async list(query: {
    statuses?: readonly SubmissionStatus[];
    limit: number;
    offset: number;
  }): Promise<EnrolmentSubmission[]> {
    const statuses = query.statuses ?? [];
    const filter: DynamoCondition | undefined =
      statuses.length === 0
        ? undefined
        : {
            expression: `#s IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
            names: { '#s': 'status' },
            values: Object.fromEntries(statuses.map((status, i) => [`:s${i}`, status])),
          };
    const items = await this.run((ops) => ops.partition(SUBMISSION, filter));
    return page(items.map(toSubmission).sort(oldestFirst), query);
  }

  decide(id: string, decision: SubmissionDecision): Promise<boolean> {
    assertStatus(decision.status);
    return this.run((ops) =>
      revise(ops, SUBMISSION, id, (item) =>
        item.status === 'pending' || item.status === 'held'
          ? {
              status: decision.status,
              reviewerId: decision.reviewerId,
              reason: decision.reason,
              decidedAt: decision.decidedAt,
              photoKeys: [],
            }
          : undefined,
      ),
    );
  }

  async listPhotoKeys(employeeId?: string): Promise<string[]> {
    const withPhotos = {
      expression: 'size(#p) > :none',
      names: { '#p': 'photoKeys' },
      values: { ':none': 0 },
    };
    const filter = !employeeId
      ? withPhotos
      : {
          expression: `${withPhotos.expression} AND #e = :e`,
          names: { ...withPhotos.names, '#e': 'employeeId' },
          values: { ...withPhotos.values, ':e': employeeId },
        };
    const items = await this.run((ops) => ops.partition(SUBMISSION, filter));
    return [...new Set(items.flatMap((item) => toSubmission(item).photoKeys))];
  }

  /**
   * Deletes the employee's submissions and invitations (with the submissions made through those invitations)
   * inside the caller's statement: the SQL stores' cascade from employees and invitations.
   */
  async deleteAllOf(ops: DynamoOps, employeeId: string): Promise<void> {
    for (const item of await ops.partition(SUBMISSION, ofEmployee(employeeId))) {
      await removeSubmission(ops, item);
    }
    for (const item of await ops.partition(INVITATION, ofEmployee(employeeId))) {
      const id = String(item.id);
      for (const entry of await ops.partition(bySubmissionOf(id))) {
        const submission = await ops.get(SUBMISSION, String(entry.submissionId));
        if (submission) await removeSubmission(ops, submission);
        else await ops.remove(String(entry.pk), String(entry.sk));
      }
      if (await ops.remove(INVITATION, id)) await releaseClaim(ops, INVITE_TOKEN, String(item.tokenHash), id);
    }
  }
}

async function removeSubmission(ops: DynamoOps, item: DynamoItem): Promise<void> {
  const id = String(item.id);
  await ops.remove(SUBMISSION, id);
  await ops.remove(bySubmissionOf(String(item.invitationId)), `${String(item.createdAt)}#${id}`);
}

/** Deletes an employee's enrolment records inside the caller's statement (the SQL stores' cascade). */
export interface EnrolmentCascade {
  deleteAllOf(ops: DynamoOps, employeeId: string): Promise<void>;
}
