import type { BlobStore } from '../blobs/blob-store.port.js';
import { type Actor, can } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';
import type { Employee, EmployeeStatus, FaceTemplate, Page, TemplateQuality } from '../domain/models.js';
import type { EmployeeFaceSummary, Store } from '../store/store.port.js';
import {
  type EmployeeInput,
  type EmployeeUpdate,
  validateEmployeeUpdate,
  validateNewEmployee,
  validatePaging,
} from './employee-validation.js';
import { ServiceBase } from './service-context.js';

/** A template as admins may see it: never the embedding. */
export interface TemplateSummary {
  id: string;
  engine: string;
  model: string;
  modelVersion: string;
  quality: TemplateQuality;
  hasPhoto: boolean;
  createdAt: string;
}

/**
 * An employee as one caller may see it: the template count only for callers that may read face metadata (never
 * auditors), and the id of the first kept photo only for those that may also read photos.
 */
export interface EmployeeView {
  employee: Employee;
  templateCount?: number;
  photoId?: string | null;
}

/** A kept enrollment photo. */
export interface KeptPhoto {
  bytes: Uint8Array;
  contentType: string;
}

/** An employee with the summaries of its templates. */
export interface EmployeeDetails {
  employee: Employee;
  templates: TemplateSummary[];
}

/** Maps a stored template to its summary (drops embedding, hash and blob key). */
export function toTemplateSummary(t: FaceTemplate): TemplateSummary {
  return {
    id: t.id,
    engine: t.engine,
    model: t.model,
    modelVersion: t.modelVersion,
    quality: t.quality,
    hasPhoto: t.photoKey !== null,
    createdAt: t.createdAt,
  };
}

/** Whether the employee may be matched by 1:N identification. */
export function isEligible(employee: Employee): boolean {
  return employee.status === 'active' && !employee.faceLoginLocked;
}

/** Finds an employee by id (uuid) or badge; throws `NOT_FOUND`. */
export async function resolveEmployee(store: Store, idOrBadge: string): Promise<Employee> {
  const key = typeof idOrBadge === 'string' ? idOrBadge.trim() : '';
  if (key === '') throw new FacegateError('NOT_FOUND', 'Employee not found');
  const found =
    (isUuid(key) ? await store.employees.get(key) : undefined) ?? (await store.employees.getByBadge(key));
  if (!found) throw new FacegateError('NOT_FOUND', 'Employee not found', { employee: key });
  return found;
}

/**
 * Per employee: number of templates and the id of the first kept photo (absent ids: 0 and null), without a
 * permission check (callers check theirs). One grouped read when the store offers it, else one read per employee.
 */
export async function faceSummariesOf(
  store: Store,
  employeeIds: readonly string[],
): Promise<Map<string, EmployeeFaceSummary>> {
  const templates = store.templates;
  const found = templates.faceSummaries
    ? await templates.faceSummaries(employeeIds)
    : new Map(
        await Promise.all(
          employeeIds.map(async (id) => {
            const list = await templates.listByEmployee(id);
            const photo = list.find((t) => t.photoKey !== null);
            return [id, { templateCount: list.length, firstPhotoTemplateId: photo?.id ?? null }] as const;
          }),
        ),
      );
  return new Map(
    employeeIds.map((id) => [id, found.get(id) ?? { templateCount: 0, firstPhotoTemplateId: null }]),
  );
}

/** Reads a kept enrollment photo of an employee without a permission check; throws `NOT_FOUND`. */
export async function readKeptPhoto(
  store: Store,
  blobs: BlobStore,
  idOrBadge: string,
  templateId: string,
): Promise<KeptPhoto> {
  const employee = await resolveEmployee(store, idOrBadge);
  const template = await store.templates.get(templateId);
  if (!template || template.employeeId !== employee.id || template.photoKey === null) {
    throw new FacegateError('NOT_FOUND', 'Photo not found');
  }
  const bytes = await blobs.get(template.photoKey);
  if (!bytes) throw new FacegateError('NOT_FOUND', 'Photo not found');
  return { bytes, contentType: template.photoContentType ?? 'application/octet-stream' };
}

/** Employee records: create, read, update, suspend/reactivate, clear the face-login lock, read kept photos. */
export class EmployeeService extends ServiceBase {
  /** Creates an employee without faces (faces come through the enrollment service). */
  async create(input: EmployeeInput, actor: Actor): Promise<Employee> {
    await this.policy.authorize(actor, 'employees:write');
    const valid = validateNewEmployee(input);
    return this.store.transaction(async (tx) => {
      if (await tx.employees.getByBadge(valid.badge)) {
        throw new FacegateError('CONFLICT', `Badge ${valid.badge} is already taken`, { badge: valid.badge });
      }
      const employee = await tx.employees.create(valid);
      await tx.audit.append({
        action: 'employee.create',
        outcome: 'success',
        actorType: actor.type,
        actorId: actor.id,
        employeeId: employee.id,
        at: this.clock.now().toISOString(),
        details: { badge: employee.badge },
      });
      return employee;
    });
  }

  /** Returns one employee by id or badge; throws `NOT_FOUND`. */
  async get(idOrBadge: string, actor: Actor): Promise<Employee> {
    await this.policy.authorize(actor, 'employees:read');
    return resolveEmployee(this.store, idOrBadge);
  }

  /** Returns one employee with template summaries (no embeddings). */
  async getDetails(idOrBadge: string, actor: Actor): Promise<EmployeeDetails> {
    await this.policy.authorize(actor, 'employees:read');
    const employee = await resolveEmployee(this.store, idOrBadge);
    const templates = await this.store.templates.listByEmployee(employee.id);
    return { employee, templates: templates.map(toTemplateSummary) };
  }

  /** Lists employees: search over badge/names/email, optional status, paging (limit 1..500). */
  async list(
    query: { search?: string; status?: EmployeeStatus; limit?: number; offset?: number },
    actor: Actor,
  ): Promise<Page<Employee>> {
    await this.policy.authorize(actor, 'employees:read');
    const { limit, offset } = validatePaging(query.limit, query.offset);
    if (query.status !== undefined && query.status !== 'active' && query.status !== 'suspended') {
      throw new FacegateError('VALIDATION_FAILED', 'status: must be "active" or "suspended"', {
        field: 'status',
      });
    }
    const search = query.search?.normalize('NFC').trim().slice(0, 200) || undefined;
    return this.store.employees.list({ search, status: query.status, limit, offset });
  }

  /**
   * Per employee: number of templates and the id of the first kept photo (absent ids: 0 and null). One grouped
   * read when the store offers it (list pages), else one read per employee.
   */
  async faceSummaries(
    employeeIds: readonly string[],
    actor: Actor,
  ): Promise<Map<string, EmployeeFaceSummary>> {
    await this.policy.authorize(actor, 'employees:read');
    return faceSummariesOf(this.store, employeeIds);
  }

  /** The employees as `actor` may see them (see {@link EmployeeView}), from one grouped read of their faces. */
  async views(list: readonly Employee[], actor: Actor): Promise<EmployeeView[]> {
    if (!can(actor, 'faces:read')) return list.map((employee) => ({ employee }));
    // Only the face summaries are read here: the employees themselves came from a call that was authorized.
    await this.policy.authorize(actor, 'employees:read');
    const photos = can(actor, 'photos:read');
    const summaries = await faceSummariesOf(
      this.store,
      list.map((e) => e.id),
    );
    return list.map((employee) => {
      const summary = summaries.get(employee.id);
      return {
        employee,
        templateCount: summary?.templateCount ?? 0,
        ...(photos ? { photoId: summary?.firstPhotoTemplateId ?? null } : {}),
      };
    });
  }

  /** Updates badge, names, email, department or role. Throws `CONFLICT` when the new badge is taken. */
  async update(idOrBadge: string, patch: EmployeeUpdate, actor: Actor): Promise<Employee> {
    await this.policy.authorize(actor, 'employees:write');
    const valid = validateEmployeeUpdate(patch);
    return this.store.transaction(async (tx) => {
      const current = await resolveEmployee(tx, idOrBadge);
      if (valid.badge !== undefined && valid.badge !== current.badge) {
        const other = await tx.employees.getByBadge(valid.badge);
        if (other && other.id !== current.id) {
          throw new FacegateError('CONFLICT', `Badge ${valid.badge} is already taken`, {
            badge: valid.badge,
          });
        }
      }
      const updated = await tx.employees.update(current.id, valid);
      await tx.audit.append({
        action: 'employee.update',
        outcome: 'success',
        actorType: actor.type,
        actorId: actor.id,
        employeeId: current.id,
        at: this.clock.now().toISOString(),
        details: { fields: Object.keys(valid) },
      });
      return updated;
    });
  }

  /** Suspends an employee: it never matches until reactivated. */
  suspend(idOrBadge: string, actor: Actor): Promise<Employee> {
    return this.changeAccess(idOrBadge, actor, 'employee.suspend', { status: 'suspended' });
  }

  /** Reactivates a suspended employee. */
  reactivate(idOrBadge: string, actor: Actor): Promise<Employee> {
    return this.changeAccess(idOrBadge, actor, 'employee.reactivate', { status: 'active' });
  }

  /** Sets the face-login lock (the lockout hard cap); only an admin clears it. */
  lockFaceLogin(idOrBadge: string, actor: Actor): Promise<Employee> {
    return this.changeAccess(idOrBadge, actor, 'employee.lock', { faceLoginLocked: true });
  }

  /** Clears the face-login lock set by the lockout hard cap. */
  clearFaceLoginLock(idOrBadge: string, actor: Actor): Promise<Employee> {
    return this.changeAccess(idOrBadge, actor, 'employee.unlock', { faceLoginLocked: false });
  }

  /** Returns a kept enrollment photo of an employee (admins only); throws `NOT_FOUND`. */
  async getPhoto(idOrBadge: string, templateId: string, actor: Actor): Promise<KeptPhoto> {
    await this.policy.authorize(actor, 'photos:read');
    return readKeptPhoto(this.store, this.blobs, idOrBadge, templateId);
  }

  private async changeAccess(
    idOrBadge: string,
    actor: Actor,
    action: string,
    patch: { status?: EmployeeStatus; faceLoginLocked?: boolean },
  ): Promise<Employee> {
    await this.policy.authorize(actor, 'employees:write');
    const updated = await this.store.transaction(async (tx) => {
      const current = await resolveEmployee(tx, idOrBadge);
      const employee = await tx.employees.update(current.id, patch);
      await tx.audit.append({
        action,
        outcome: 'success',
        actorType: actor.type,
        actorId: actor.id,
        employeeId: current.id,
        at: this.clock.now().toISOString(),
        details: { ...patch },
      });
      return employee;
    });
    this.matcher.setEligible(updated.id, isEligible(updated));
    return updated;
  }
}
