import type { LockoutService } from '../auth/lockout.service.js';
import type { Actor } from '../domain/access.js';
import type { Employee, EmployeeStatus, Page } from '../domain/models.js';
import type { EmployeeService, EmployeeView } from './employee.service.js';
import type { EmployeeInput, EmployeeUpdate } from './employee-validation.js';
import type {
  EnrollmentResult,
  EnrollmentService,
  EnrollOptions,
  FaceDeletion,
  PhotoInput,
} from './enrollment.service.js';

/** An enrollment into an existing employee: the employee is always there. */
export type PhotosEnrollment = Omit<EnrollmentResult, 'employee'> & { employee: Employee };

/** An enrollment by badge, with the employee (null when none was created) as the caller may see it. */
export type BadgeEnrollment = Omit<EnrollmentResult, 'employee'> & { employee: EmployeeView | null };

/** What the employee operations are built from. */
export interface EmployeeViewDeps {
  employees: EmployeeService;
  enrollment: Pick<EnrollmentService, 'enrollPhotos' | 'enrollByBadge' | 'deleteFace'>;
  /** Clears the lockout counter with the face-login lock. */
  lockout: Pick<LockoutService, 'unlockEmployee'>;
}

/**
 * The employee operations of the HTTP API, one method per request: each runs the operation of the employee,
 * enrollment or lockout service and answers with the employee as the caller may see it ({@link EmployeeView}).
 */
export class EmployeeViewService {
  constructor(private readonly deps: EmployeeViewDeps) {}

  /** A page of employees (search, status, paging). */
  async list(
    query: { search?: string; status?: EmployeeStatus; limit?: number; offset?: number },
    actor: Actor,
  ): Promise<Page<EmployeeView>> {
    const page = await this.deps.employees.list(query, actor);
    return { items: await this.deps.employees.views(page.items, actor), total: page.total };
  }

  /** One employee by id or badge. */
  async get(idOrBadge: string, actor: Actor): Promise<EmployeeView> {
    return this.view(await this.deps.employees.get(idOrBadge, actor), actor);
  }

  /** Creates an employee without faces. */
  async create(input: EmployeeInput, actor: Actor): Promise<EmployeeView> {
    return this.view(await this.deps.employees.create(input, actor), actor);
  }

  /** Updates badge, names, e-mail, department or role. */
  async update(idOrBadge: string, patch: EmployeeUpdate, actor: Actor): Promise<EmployeeView> {
    return this.view(await this.deps.employees.update(idOrBadge, patch, actor), actor);
  }

  /** Suspends an employee: it never matches until reactivated. */
  async suspend(idOrBadge: string, actor: Actor): Promise<EmployeeView> {
    return this.view(await this.deps.employees.suspend(idOrBadge, actor), actor);
  }

  /** Reactivates a suspended employee. */
  async reactivate(idOrBadge: string, actor: Actor): Promise<EmployeeView> {
    return this.view(await this.deps.employees.reactivate(idOrBadge, actor), actor);
  }

  /** Clears the face-login lock and the lockout counter of an employee (admins). */
  async unlock(employeeId: string, actor: Actor): Promise<EmployeeView> {
    await this.deps.lockout.unlockEmployee(actor, employeeId);
    return this.get(employeeId, actor);
  }

  /** Adds photos to an existing employee. */
  async enrollPhotos(
    idOrBadge: string,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions,
  ): Promise<PhotosEnrollment> {
    const result = await this.deps.enrollment.enrollPhotos(idOrBadge, photos, actor, options);
    return { ...result, employee: result.employee ?? (await this.deps.employees.get(idOrBadge, actor)) };
  }

  /** Creates an employee with its photos, or adds the photos when the badge exists. */
  async enrollByBadge(
    input: EmployeeInput,
    photos: PhotoInput[],
    actor: Actor,
    options: EnrollOptions,
  ): Promise<BadgeEnrollment> {
    const result = await this.deps.enrollment.enrollByBadge(input, photos, actor, options);
    return { ...result, employee: result.employee ? await this.view(result.employee, actor) : null };
  }

  /** Removes one face template with its kept photo and gallery entry. */
  async deleteFace(idOrBadge: string, faceId: string, actor: Actor): Promise<FaceDeletion> {
    return this.deps.enrollment.deleteFace(idOrBadge, faceId, actor);
  }

  private async view(employee: Employee, actor: Actor): Promise<EmployeeView> {
    const [view] = await this.deps.employees.views([employee], actor);
    return view ?? { employee };
  }
}
