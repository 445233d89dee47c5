import { randomUUID } from 'node:crypto';
import type { Employee, EmployeePatch, EmployeeStatus, NewEmployee, Page } from '../../domain/models.js';
import { required } from '../../util/checked-access.js';
import { EMPLOYEE_COLUMNS, type EmployeeRow, toEmployee } from '../row-mappers.js';
import { clampInt, likePattern, notFound, now } from '../sqlite/repositories/sql-helpers.js';
import type { EmployeeRepository } from '../store.port.js';
import { asciiLower, changes, countTable, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** PostgreSQL employees; badges are unique regardless of (ASCII) case, like SQLite's NOCASE. */
export class PgEmployeeRepository implements EmployeeRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(employee: NewEmployee): Promise<Employee> {
    const at = now();
    const row = await rowOf<EmployeeRow>(
      this.runner,
      `INSERT INTO employees (id, badge, first_name, last_name, email, department, role, status,
         face_login_locked, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9) RETURNING *`,
      [
        employee.id ?? randomUUID(),
        employee.badge,
        employee.firstName,
        employee.lastName,
        employee.email ?? null,
        employee.department ?? null,
        employee.role ?? null,
        employee.status ?? 'active',
        at,
      ],
    );
    return toEmployee(required(row, 'row'));
  }

  async update(id: string, patch: EmployeePatch): Promise<Employee> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [field, column] of Object.entries(EMPLOYEE_COLUMNS)) {
      const value = patch[field as keyof EmployeePatch];
      if (value === undefined) continue;
      params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      sets.push(`${column} = $${params.length}`);
    }
    params.push(now(), id);
    const row =
      sets.length > 0
        ? await rowOf<EmployeeRow>(
            this.runner,
            `UPDATE employees SET ${sets.join(', ')}, updated_at = $${params.length - 1}
             WHERE id = $${params.length} RETURNING *`,
            params,
          )
        : await rowOf<EmployeeRow>(this.runner, 'SELECT * FROM employees WHERE id = $1', [id]);
    if (!row) throw notFound('Employee');
    return toEmployee(row);
  }

  async get(id: string): Promise<Employee | undefined> {
    const row = await rowOf<EmployeeRow>(this.runner, 'SELECT * FROM employees WHERE id = $1', [id]);
    return row && toEmployee(row);
  }

  async getByBadge(badge: string): Promise<Employee | undefined> {
    const row = await rowOf<EmployeeRow>(this.runner, 'SELECT * FROM employees WHERE lower(badge) = $1', [
      asciiLower(badge),
    ]);
    return row && toEmployee(row);
  }

  /** Search matches every whitespace-separated token against badge, first/last name or email (case-insensitive). */
  async list(query: {
    search?: string;
    status?: EmployeeStatus;
    limit: number;
    offset: number;
  }): Promise<Page<Employee>> {
    const { clause, params } = listFilter(query);
    const limit = clampInt(query.limit, 50, 0, 10_000);
    const offset = clampInt(query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const total =
      (await rowOf<{ n: number }>(this.runner, `SELECT count(*)::int AS n FROM employees ${clause}`, params))
        ?.n ?? 0;
    const n = params.length;
    const rows = await rowsOf<EmployeeRow>(
      this.runner,
      `SELECT * FROM employees ${clause}
       ORDER BY lower(last_name), lower(first_name), badge, id LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, limit, offset],
    );
    return { items: rows.map(toEmployee), total };
  }

  async statuses(): Promise<Array<Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>>> {
    const rows = await rowsOf<Pick<EmployeeRow, 'id' | 'status' | 'face_login_locked'>>(
      this.runner,
      'SELECT id, status, face_login_locked FROM employees',
    );
    return rows.map((row) => ({
      id: row.id,
      status: row.status as EmployeeStatus,
      faceLoginLocked: row.face_login_locked === 1,
    }));
  }

  async delete(id: string): Promise<boolean> {
    return (await changes(this.runner, 'DELETE FROM employees WHERE id = $1', [id])) > 0;
  }

  async count(): Promise<number> {
    return countTable(this.runner, 'employees');
  }
}

/** The WHERE clause of a list query: the status, and each search token against badge, names or email. */
function listFilter(query: { search?: string; status?: EmployeeStatus }): {
  clause: string;
  params: unknown[];
} {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.status) {
    params.push(query.status);
    where.push(`status = $${params.length}`);
  }
  const tokens = (query.search ?? '').trim().slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8);
  for (const token of tokens) {
    params.push(asciiLower(likePattern(token)));
    const p = `$${params.length} ESCAPE '\\'`;
    where.push(
      `(lower(badge) LIKE ${p} OR lower(first_name) LIKE ${p} OR lower(last_name) LIKE ${p}
          OR lower(email) LIKE ${p})`,
    );
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}
