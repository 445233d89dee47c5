import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../crypto/hash.js';
import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { Employee } from '../domain/models.js';
import type { Store } from '../store/store.port.js';
import { at } from '../util/checked-access.js';
import { SerialQueue } from '../util/serial-queue.js';
import { isEligible, resolveEmployee } from './employee.service.js';
import { type EmployeeInput, validateBadge, validateNewEmployee } from './employee-validation.js';
import type { MatchProbe, PreparedTemplate } from './face-matcher.port.js';
import { currentThreshold, keepPhotos, roundScore } from './match-settings.js';
import { ServiceBase } from './service-context.js';

/** One uploaded photo. `file` is only echoed back in results (bulk import, API field name). */
export interface PhotoInput {
  bytes: Uint8Array;
  file?: string;
  contentType?: string;
}

/** Who a reason refers to (for `DUPLICATE_FACE`). */
export interface EmployeeRef {
  id: string;
  badge: string;
  firstName: string;
  lastName: string;
}

/** Why a photo was refused (or a note on an accepted one). */
export interface PhotoReason {
  code: string;
  message: string;
  value?: number;
  threshold?: number;
  employee?: EmployeeRef;
}

/** Outcome for one photo. */
export interface PhotoResult {
  file?: string;
  accepted: boolean;
  templateId?: string;
  /** True when the exact same photo was already enrolled for this employee: nothing was added. */
  alreadyEnrolled?: boolean;
  reasons: PhotoReason[];
}

/** Outcome of one enrollment call. */
export interface EnrollmentResult {
  /** The employee, or null when a new employee was not created because no photo was accepted. */
  employee: Employee | null;
  created: boolean;
  photos: PhotoResult[];
  /** Templates added by this call. */
  added: number;
}

/** Options of an enrollment call. */
export interface EnrollOptions {
  /** Accept photos whose face matches another employee (`DUPLICATE_FACE`). */
  force?: boolean;
  /**
   * Accept photos whose face does not match the employee's enrolled faces (`FACE_MISMATCH`): the enroller
   * confirmed it is the same person. Recorded in the audit.
   */
  confirmMismatch?: boolean;
  /** Refuse (`CONFLICT`) to add photos to a badge that already exists (the watch folder's default). */
  newEmployeeOnly?: boolean;
}

/** Outcome of removing one face template. */
export interface FaceDeletion {
  employeeId: string;
  templateId: string;
  photoDeleted: boolean;
  galleryEntryRemoved: boolean;
}

/** Maps a reference to an employee for reasons and results. */
export function toEmployeeRef(e: Employee): EmployeeRef {
  return { id: e.id, badge: e.badge, firstName: e.firstName, lastName: e.lastName };
}

/** Who an enrollment is for: an employee that exists, or a validated new one. */
type EnrollTarget =
  | { existing: Employee }
  | { input: ReturnType<typeof validateNewEmployee> & { id: string } };

/**
 * An enrollment whose photos are analysed but not yet checked for duplicates nor committed
 * ({@link EnrollmentService.prepareByBadge}). Its state stays inside the service; commit it once.
 */
export interface PreparedEnrollment {
  /** Photos of the call. */
  readonly photos: number;
}

/** The state of a prepared enrollment, held by the service. */
interface PreparedState {
  target: EnrollTarget;
  results: PhotoResult[];
  analysed: Candidate[];
  copies: Array<[copy: number, original: number]>;
  threshold: number;
  actor: Actor;
  options: EnrollOptions;
  /** `performance.now()` when the enrollment started, for the audit's duration. */
  started: number;
}

/** Everything {@link EnrollmentService} commits after the duplicate check. */
interface CommitRequest {
  target: EnrollTarget;
  candidates: Candidate[];
  results: PhotoResult[];
  actor: Actor;
  options: EnrollOptions;
  /** `performance.now()` when the enrollment started, for the audit's duration. */
  started: number;
  /** Photos that were byte copies of another photo of the same call (not counted as rejected). */
  copyIndexes: ReadonlySet<number>;
}

/** The distinct reason codes of the refused photos, in order. */
function rejectedCodes(results: readonly PhotoResult[]): string[] {
  return [...new Set(results.flatMap((r) => (r.accepted ? [] : r.reasons.map((x) => x.code))))];
}

/** Inside the transaction: the current row of an existing employee, or the new one (or one created meanwhile). */
async function employeeFor(
  tx: Store,
  target: EnrollTarget,
): Promise<{ employee: Employee; created: boolean }> {
  if ('existing' in target) {
    const current = await tx.employees.get(target.existing.id);
    if (!current) throw new FacegateError('NOT_FOUND', 'Employee was deleted during enrollment');
    return { employee: current, created: false };
  }
  const raced = await tx.employees.getByBadge(target.input.badge);
  if (raced) return { employee: raced, created: false };
  return { employee: await tx.employees.create(target.input), created: true };
}

/** A candidate and the template the matcher prepared for it. */
interface PreparedCandidate {
  candidate: Candidate;
  template: Extract<PreparedTemplate, { template: unknown }>['template'];
}

function preparedIds(prepared: readonly PreparedCandidate[]): string[] {
  return prepared.flatMap((p) => (p.template.id ? [p.template.id] : []));
}

/** The id the employee has or will have (a new employee's id is chosen before its faces are prepared). */
function targetId(target: EnrollTarget): string {
  return 'existing' in target ? target.existing.id : target.input.id;
}

interface Candidate {
  index: number;
  hash: string;
  bytes: Uint8Array;
  contentType: string;
  probe: MatchProbe;
  forcedDuplicateOf?: string;
  /** Best score against the employee's own faces when it was below the threshold and the enroller confirmed. */
  confirmedMismatch?: number;
}

/**
 * Enrollment: photos → engine → quality gate → duplicate check → templates.
 * Consistency: blobs are written first (content-addressed, atomic), then one store transaction writes the employee
 * (when new), its templates and the audit record; the gallery is updated only after commit. A crash in between
 * leaves at most unreferenced blobs, which {@link EnrollmentService.sweepOrphanBlobs} removes at start-up.
 */
export class EnrollmentService extends ServiceBase {
  /** Blob keys written by an enrollment that has not committed yet; the sweep must not take them. */
  private readonly pendingBlobs = new Map<string, number>();
  /** Duplicate check + commit, one enrollment at a time. */
  private readonly serial = new SerialQueue();
  /** Enrollments prepared by this service and not yet committed. */
  private readonly prepared = new WeakMap<PreparedEnrollment, PreparedState>();

  /** Adds photos to an existing employee (id or badge). Throws `NOT_FOUND`. */
  async enrollPhotos(
    idOrBadge: string,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions = {},
  ): Promise<EnrollmentResult> {
    await this.policy.authorize(actor, 'faces:enroll');
    const employee = await resolveEmployee(this.store, idOrBadge);
    return this.run({ existing: employee }, photos, actor, options);
  }

  /**
   * Creates the employee together with its first accepted template(s), or adds photos when the badge exists
   * (bulk import, watch mode). A new employee is never stored without a template.
   */
  async enrollByBadge(
    input: EmployeeInput,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions = {},
  ): Promise<EnrollmentResult> {
    return this.commitPrepared(await this.prepareByBadge(input, photos, actor, options));
  }

  /**
   * First half of {@link enrollByBadge}: checks, then runs the photos through the engine. Writes nothing;
   * {@link commitPrepared} finishes it. A bulk import prepares the next employees while earlier ones commit.
   */
  async prepareByBadge(
    input: EmployeeInput,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions = {},
  ): Promise<PreparedEnrollment> {
    await this.policy.authorize(actor, 'faces:enroll');
    await this.policy.authorize(actor, 'employees:write');
    const existing = await this.store.employees.getByBadge(validateBadge(input.badge));
    if (existing && options.newEmployeeOnly) {
      throw new FacegateError(
        'CONFLICT',
        `Badge ${existing.badge} already exists; photos are not added to it`,
        {
          badge: existing.badge,
        },
      );
    }
    const target: EnrollTarget = existing
      ? { existing }
      : { input: { ...validateNewEmployee(input), id: randomUUID() } };
    return this.prepare(target, photos, actor, options);
  }

  /**
   * Second half: the duplicate check and the commit (blobs, then one transaction, then the gallery), one
   * enrollment at a time in call order. Photos enrolled since the preparation are recognised again here, so the
   * outcome is the one {@link enrollByBadge} would have given at this point.
   */
  async commitPrepared(prepared: PreparedEnrollment): Promise<EnrollmentResult> {
    const state = this.prepared.get(prepared);
    if (!state) throw new FacegateError('INTERNAL', 'Unknown or already committed enrollment');
    this.prepared.delete(prepared);
    const { target, results, copies, threshold, actor, options, started } = state;
    const existing = 'existing' in target ? target.existing : undefined;
    // Duplicate check and commit run one enrollment at a time, so two look-alike photos enrolled concurrently for
    // different people cannot both pass the check before either reaches the gallery.
    const outcome = await this.serial.run(async () => {
      const analysed = await this.recheckEnrolled(state.analysed, results, existing, threshold);
      const candidates = await this.checkDuplicates(analysed, results, threshold, existing?.id, options);
      const copyIndexes = new Set(copies.map(([copy]) => copy));
      return this.commit({ target, candidates, results, actor, options, started, copyIndexes });
    });
    for (const [copy, original] of copies) {
      const from = at(results, original);
      Object.assign(at(results, copy), {
        accepted: from.accepted,
        alreadyEnrolled: from.accepted,
        templateId: from.templateId,
        reasons: from.accepted ? [] : [...from.reasons],
      });
    }
    return { ...outcome, photos: results };
  }

  /**
   * Removes one face template of an employee: the template, its kept photo (unless another template shares the
   * same bytes) and its gallery entry, audited as `face.delete`. Throws `NOT_FOUND`.
   */
  async deleteFace(idOrBadge: string, templateId: string, actor: Actor): Promise<FaceDeletion> {
    await this.policy.authorize(actor, 'faces:enroll');
    const employee = await resolveEmployee(this.store, idOrBadge);
    return this.serial.run(async () => {
      const template = await this.store.templates.get(templateId);
      if (!template || template.employeeId !== employee.id) {
        throw new FacegateError('NOT_FOUND', 'Face template not found', { templateId });
      }
      // Matching stops first, so the face cannot be recognised while the deletion runs.
      const galleryEntryRemoved = await this.matcher.removeTemplate(employee.id, template.id);
      await this.store.transaction(async (tx) => {
        await tx.templates.delete(template.id);
        await tx.audit.append({
          action: 'face.delete',
          outcome: 'success',
          actorType: actor.type,
          actorId: actor.id,
          employeeId: employee.id,
          at: this.clock.now().toISOString(),
          details: {
            badge: employee.badge,
            templateId: template.id,
            remaining: this.matcher.templateCount(employee.id),
          },
        });
      });
      let photoDeleted = false;
      if (template.photoKey) {
        const referenced = new Set(await this.store.templates.listPhotoKeys());
        if (!referenced.has(template.photoKey)) photoDeleted = await this.blobs.delete(template.photoKey);
      }
      return { employeeId: employee.id, templateId: template.id, photoDeleted, galleryEntryRemoved };
    });
  }

  /**
   * Removes every blob no template references (left by a crash between blob write and commit).
   * Returns the number of blobs removed.
   */
  async sweepOrphanBlobs(): Promise<number> {
    // Blobs are listed before the references are read: a photo committed in between is then seen as referenced.
    const keys: string[] = [];
    for await (const key of this.blobs.list()) keys.push(key);
    const referenced = new Set([
      ...(await this.store.templates.listPhotoKeys()),
      // Captures of self-service enrolment waiting for review are referenced by their submission.
      ...((await this.store.enrolmentSubmissions?.listPhotoKeys()) ?? []),
    ]);
    let removed = 0;
    for (const key of keys) {
      if (referenced.has(key) || this.pendingBlobs.has(key)) continue;
      if (await this.blobs.delete(key)) removed++;
    }
    if (removed > 0) this.logger.warn({ removed }, 'removed orphan photo blobs');
    return removed;
  }

  private async run(
    target: EnrollTarget,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions,
  ): Promise<EnrollmentResult> {
    return this.commitPrepared(await this.prepare(target, photos, actor, options));
  }

  /** Screens and analyses the photos of one enrollment (nothing written). */
  private async prepare(
    target: EnrollTarget,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions,
  ): Promise<PreparedEnrollment> {
    if (photos.length === 0) {
      throw new FacegateError('IMAGE_MISSING', 'At least one photo is required');
    }
    const started = performance.now();
    const existing = 'existing' in target ? target.existing : undefined;
    const { threshold } = await currentThreshold(
      this.store,
      this.config,
      this.matcher.info.model,
      this.thresholds,
    );
    const results: PhotoResult[] = photos.map((p) => ({ file: p.file, accepted: false, reasons: [] }));
    const { analysed, copies } = await this.screen(photos, results, existing, threshold);
    const prepared: PreparedEnrollment = { photos: photos.length };
    this.prepared.set(prepared, { target, results, analysed, copies, threshold, actor, options, started });
    return prepared;
  }

  /**
   * Inside the serialised part: a candidate whose exact photo was committed after the first check (by an
   * enrollment prepared at the same time) gets the answer the first check would have given now.
   */
  private async recheckEnrolled(
    analysed: Candidate[],
    results: PhotoResult[],
    existing: Employee | undefined,
    threshold: number,
  ): Promise<Candidate[]> {
    const kept: Candidate[] = [];
    for (const candidate of analysed) {
      const prior = await this.store.templates.findBySourceHash(candidate.hash);
      if (prior) await this.answerEnrolled(prior, at(results, candidate.index), existing, threshold);
      else kept.push(candidate);
    }
    return kept;
  }

  /** The answer for a photo whose exact bytes are enrolled: accepted as it is for this employee, else refused. */
  private async answerEnrolled(
    prior: { id: string; employeeId: string },
    result: PhotoResult,
    existing: Employee | undefined,
    threshold: number,
  ): Promise<void> {
    if (existing && prior.employeeId === existing.id) {
      Object.assign(result, { accepted: true, alreadyEnrolled: true, templateId: prior.id });
      return;
    }
    const owner = await this.store.employees.get(prior.employeeId);
    result.reasons.push({
      code: 'DUPLICATE_FACE',
      message: `This exact photo is already enrolled for employee ${owner?.badge ?? prior.employeeId}`,
      value: 1,
      threshold,
      ...(owner ? { employee: toEmployeeRef(owner) } : {}),
    });
  }

  /**
   * First pass over the photos, before the serialised part: byte copies within the call, photos already enrolled
   * (for this employee: accepted as they are; for another: refused), then engine + quality gate for the rest.
   */
  private async screen(
    photos: PhotoInput[],
    results: PhotoResult[],
    existing: Employee | undefined,
    threshold: number,
  ): Promise<{ analysed: Candidate[]; copies: Array<[copy: number, original: number]> }> {
    const analysed: Candidate[] = [];
    const seen = new Map<string, number>();
    const copies: Array<[copy: number, original: number]> = [];
    for (const [index, photo] of photos.entries()) {
      const result = at(results, index);
      const hash = sha256Hex(photo.bytes);
      const original = seen.get(hash);
      if (original !== undefined) {
        copies.push([index, original]);
        continue;
      }
      seen.set(hash, index);
      const prior = await this.store.templates.findBySourceHash(hash);
      if (prior) {
        await this.answerEnrolled(prior, result, existing, threshold);
        continue;
      }
      const candidate = await this.assess(photo, index, hash, result);
      if (candidate) analysed.push(candidate);
    }
    return { analysed, copies };
  }

  /** Refuses candidates whose face matches another employee (kept, with the reason, when forced). */
  private async checkDuplicates(
    analysed: Candidate[],
    results: PhotoResult[],
    threshold: number,
    employeeId: string | undefined,
    options: EnrollOptions,
  ): Promise<Candidate[]> {
    const kept: Candidate[] = [];
    for (const candidate of analysed) {
      if (employeeId && !(await this.passesOwnFaces(candidate, results, threshold, employeeId, options)))
        continue;
      const duplicate = await this.matcher.findDuplicate(candidate.probe, threshold, employeeId);
      if (duplicate) {
        const other = await this.store.employees.get(duplicate.employeeId);
        at(results, candidate.index).reasons.push({
          code: 'DUPLICATE_FACE',
          message: `Face matches employee ${other?.badge ?? duplicate.employeeId}${
            other ? ` (${other.firstName} ${other.lastName})` : ''
          }`,
          value: roundScore(duplicate.score),
          threshold: roundScore(threshold),
          ...(other ? { employee: toEmployeeRef(other) } : {}),
        });
        if (!options.force) continue;
        candidate.forcedDuplicateOf = duplicate.employeeId;
      }
      kept.push(candidate);
    }
    return kept;
  }

  /**
   * A face that does not match the employee's enrolled faces is most likely someone else's photo: refused with
   * `FACE_MISMATCH` unless the enroller confirmed it (then kept, with the reason, and audited).
   */
  private async passesOwnFaces(
    candidate: Candidate,
    results: PhotoResult[],
    threshold: number,
    employeeId: string,
    options: EnrollOptions,
  ): Promise<boolean> {
    const verdict = await this.matcher.verify(employeeId, candidate.probe, threshold);
    if ('retry' in verdict) {
      at(results, candidate.index).reasons.push(...verdict.retry);
      return false;
    }
    const score = verdict.score;
    if (score === null || score >= threshold) return true;
    at(results, candidate.index).reasons.push({
      code: 'FACE_MISMATCH',
      message: 'This face does not match the photos already enrolled for this employee',
      value: roundScore(score),
      threshold: roundScore(threshold),
    });
    if (!options.confirmMismatch) return false;
    candidate.confirmedMismatch = roundScore(score);
    return true;
  }

  /** Runs one photo through the matcher's quality gate. */
  private async assess(
    photo: PhotoInput,
    index: number,
    hash: string,
    result: PhotoResult,
  ): Promise<Candidate | undefined> {
    let probe: MatchProbe;
    try {
      probe = await this.matcher.probe(photo.bytes);
    } catch (error) {
      if (!isFacegateError(error)) throw error;
      result.reasons.push({ code: error.code, message: error.message });
      return undefined;
    }
    for (const issue of probe.issues) result.reasons.push({ ...issue });
    if (result.reasons.length > 0) return undefined;
    if (probe.analysis && probe.analysis.engineInfo.model !== this.matcher.info.model) {
      result.reasons.push({
        code: 'MODEL_MISMATCH',
        message: 'Engine returned an embedding of another model',
      });
      return undefined;
    }
    const contentType = photo.contentType ?? `image/${probe.format ?? 'jpeg'}`;
    return { index, hash, bytes: photo.bytes, contentType, probe };
  }

  /**
   * Writes what survived the checks: the matcher prepares each template (a remote collection indexes the face
   * here), blobs are written, then employee + templates + audit in one transaction, then the matcher makes the
   * committed templates matchable. A failed commit undoes the blobs and the prepared faces.
   */
  private async commit(request: CommitRequest): Promise<Omit<EnrollmentResult, 'photos'>> {
    const { results } = request;
    const employeeId = targetId(request.target);
    const prepared = await this.prepareTemplates(employeeId, request.candidates, results);
    const kept = { ...request, candidates: prepared.map((p) => p.candidate) };
    if (prepared.length === 0) return this.commitNothing(kept);
    const keys = await this.writeBlobs(kept.candidates);
    let written: Awaited<ReturnType<EnrollmentService['writeEnrollment']>> | undefined;
    try {
      written = await this.store.transaction((tx) =>
        this.writeEnrollment(tx, kept, { employeeId, prepared }, keys),
      );
      const { employee, created, templates } = written;
      for (const t of templates) {
        const result = at(results, t.candidate.index);
        result.accepted = true;
        result.templateId = t.id;
      }
      this.matcher.committed(
        employee.id,
        templates.map((t) => ({ id: t.id, embedding: t.embedding })),
        isEligible(employee),
      );
      return { employee, created, added: templates.length };
    } catch (error) {
      await this.discardBlobs(keys);
      throw error;
    } finally {
      await this.discardPrepared(written, employeeId, prepared);
      for (const key of keys) if (key) this.releasePending(key);
    }
  }

  /** The matcher's template for each candidate; a candidate the engine refuses gets the engine's reasons. */
  private async prepareTemplates(
    employeeId: string,
    candidates: Candidate[],
    results: PhotoResult[],
  ): Promise<PreparedCandidate[]> {
    const prepared: PreparedCandidate[] = [];
    try {
      for (const candidate of candidates) {
        const outcome = await this.matcher.prepare(employeeId, candidate.probe);
        if ('refused' in outcome) at(results, candidate.index).reasons.push(...outcome.refused);
        else prepared.push({ candidate, template: outcome.template });
      }
    } catch (error) {
      await this.matcher.discard(employeeId, preparedIds(prepared));
      throw error;
    }
    return prepared;
  }

  /** Undoes prepared templates the store did not keep (all of them when the commit failed). */
  private async discardPrepared(
    written: { employee: Employee; templates: Array<{ id: string }> } | undefined,
    employeeId: string,
    prepared: PreparedCandidate[],
  ): Promise<void> {
    const stored = new Set(written?.employee.id === employeeId ? written.templates.map((t) => t.id) : []);
    const unused = preparedIds(prepared).filter((id) => !stored.has(id));
    if (unused.length === 0) return;
    try {
      await this.matcher.discard(employeeId, unused);
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error), employeeId },
        'could not undo prepared faces',
      );
    }
  }

  /** No photo to add: only the audit record (`unchanged` when every photo was already enrolled, else `refused`). */
  private async commitNothing(request: CommitRequest): Promise<Omit<EnrollmentResult, 'photos'>> {
    const { target, results, copyIndexes } = request;
    const existing = 'existing' in target ? target.existing : undefined;
    const reasons = rejectedCodes(results);
    await this.store.audit.append({
      ...this.auditBase(request),
      outcome: results.some((r) => r.accepted) ? 'unchanged' : 'refused',
      reason: reasons[0] ?? null,
      employeeId: existing?.id ?? null,
      details: {
        badge: existing?.badge ?? ('input' in target ? target.input.badge : null),
        photos: results.length,
        added: 0,
        rejected: results.filter((r, i) => !r.accepted && !copyIndexes.has(i)).length,
        reasons,
      },
    });
    return { employee: existing ?? null, created: false, added: 0 };
  }

  /** The transaction of {@link commit}: the employee (created when new), its templates and the audit record. */
  private async writeEnrollment(
    tx: Store,
    request: CommitRequest,
    ready: { employeeId: string; prepared: PreparedCandidate[] },
    keys: Array<string | null>,
  ) {
    const { results, options, copyIndexes } = request;
    const { employee, created } = await employeeFor(tx, request.target);
    let prepared = ready.prepared;
    if (employee.id !== ready.employeeId) {
      // Another request created this badge meanwhile: the faces are prepared again for that employee.
      await this.matcher.discard(ready.employeeId, preparedIds(prepared));
      prepared = await this.prepareTemplates(employee.id, request.candidates, results);
    }
    const candidates = prepared.map((p) => p.candidate);
    const templates: Array<{ candidate: Candidate; id: string; embedding: Float32Array }> = [];
    for (const { candidate, template } of prepared) {
      // A concurrent request may have committed the same photo since the first check.
      if (await tx.templates.findBySourceHash(candidate.hash)) continue;
      const key = keys[request.candidates.indexOf(candidate)] ?? null;
      const saved = await tx.templates.add(employee.id, {
        ...template,
        sourceHash: candidate.hash,
        photoKey: key,
        photoContentType: key ? candidate.contentType : null,
      });
      templates.push({ candidate, id: saved.id, embedding: saved.embedding });
    }
    const reasons = rejectedCodes(results);
    const forced = candidates.flatMap((c) => (c.forcedDuplicateOf ? [c.forcedDuplicateOf] : []));
    const mismatches = candidates.flatMap((c) =>
      c.confirmedMismatch !== undefined && templates.some((t) => t.candidate === c)
        ? [c.confirmedMismatch]
        : [],
    );
    await tx.audit.append({
      ...this.auditBase(request),
      outcome: 'success',
      reason: reasons[0] ?? null,
      employeeId: employee.id,
      details: {
        badge: employee.badge,
        created,
        photos: results.length,
        added: templates.length,
        templateIds: templates.map((t) => t.id),
        rejected: results.filter(
          (r, i) => !r.accepted && !copyIndexes.has(i) && !candidates.some((c) => c.index === i),
        ).length,
        reasons,
        ...(options.force ? { forcedDuplicateOf: forced } : {}),
        ...(mismatches.length ? { mismatchConfirmed: true, mismatchScores: mismatches } : {}),
      },
    });
    return { employee, created, templates };
  }

  private auditBase({ actor, started }: CommitRequest) {
    return {
      action: 'enroll',
      actorType: actor.type,
      actorId: actor.id,
      engine: `${this.matcher.info.model}@${this.matcher.info.version}`,
      at: this.clock.now().toISOString(),
      durationMs: Math.round(performance.now() - started),
    };
  }

  private async writeBlobs(candidates: Candidate[]): Promise<Array<string | null>> {
    if (!(await keepPhotos(this.store, this.config))) return candidates.map(() => null);
    const keys: Array<string | null> = [];
    for (const c of candidates) {
      const key = await this.blobs.put(c.bytes, c.contentType);
      this.pendingBlobs.set(key, (this.pendingBlobs.get(key) ?? 0) + 1);
      keys.push(key);
    }
    return keys;
  }

  /** Best-effort removal of blobs written for a transaction that failed (the start-up sweep is the backstop). */
  private async discardBlobs(keys: Array<string | null>): Promise<void> {
    try {
      const referenced = new Set(await this.store.templates.listPhotoKeys());
      for (const key of keys) if (key && !referenced.has(key)) await this.blobs.delete(key);
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'blob cleanup failed',
      );
    }
  }

  private releasePending(key: string): void {
    const n = (this.pendingBlobs.get(key) ?? 1) - 1;
    if (n <= 0) this.pendingBlobs.delete(key);
    else this.pendingBlobs.set(key, n);
  }
}
