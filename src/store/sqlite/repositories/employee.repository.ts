import { randomUUID } from 'node:crypto';
import type { Employee, EmployeePatch, EmployeeStatus, NewEmployee, Page } from '../../../domain/models.js';
import { EMPLOYEE_COLUMNS, type EmployeeRow, toEmployee } from '../../row-mappers.js';
import type { EmployeeRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { clampInt, countRows, likePattern, now, rowById, updateById } from './sql-helpers.js';

/** SQLite employees. */
export class SqliteEmployeeRepository implements EmployeeRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(employee: NewEmployee): Promise<Employee> {
    const at = now();
    const id = employee.id ?? randomUUID();
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO employees (id, badge, first_name, last_name, email, department, role, status,
           face_login_locked, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        id,
        employee.badge,
        employee.firstName,
        employee.lastName,
        employee.email ?? null,
        employee.department ?? null,
        employee.role ?? null,
        employee.status ?? 'active',
        at,
        at,
      );
      return toEmployee(rowById<EmployeeRow>(sql, 'employees', id));
    });
  }

  async update(id: string, patch: EmployeePatch): Promise<Employee> {
    const assignments: Array<[string, unknown]> = [];
    for (const [field, column] of Object.entries(EMPLOYEE_COLUMNS)) {
      const value = patch[field as keyof EmployeePatch];
      if (value === undefined) continue;
      assignments.push([column, typeof value === 'boolean' ? (value ? 1 : 0) : value]);
    }
    return this.runner.run((sql) =>
      toEmployee(updateById<EmployeeRow>(sql, 'employees', 'Employee', id, assignments)),
    );
  }

  async get(id: string): Promise<Employee | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<EmployeeRow>('SELECT * FROM employees WHERE id = ?', id);
      return row && toEmployee(row);
    });
  }

  async getByBadge(badge: string): Promise<Employee | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<EmployeeRow>('SELECT * FROM employees WHERE badge = ?', badge);
      return row && toEmployee(row);
    });
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
    return this.runner.run((sql) => {
      const total =
        sql.get<{ n: number }>(`SELECT count(*) AS n FROM employees ${clause}`, ...params)?.n ?? 0;
      const rows = sql.all<EmployeeRow>(
        `SELECT * FROM employees ${clause}
         ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, badge, id LIMIT ? OFFSET ?`,
        ...params,
        limit,
        offset,
      );
      return { items: rows.map(toEmployee), total };
    });
  }

  async statuses(): Promise<Array<Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>>> {
    return this.runner.run((sql) =>
      sql
        .all<Pick<EmployeeRow, 'id' | 'status' | 'face_login_locked'>>(
          'SELECT id, status, face_login_locked FROM employees',
        )
        .map((row) => ({
          id: row.id,
          status: row.status as EmployeeStatus,
          faceLoginLocked: row.face_login_locked === 1,
        })),
    );
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => {
      const deleted = sql.run('DELETE FROM employees WHERE id = ?', id).changes > 0;
      if (deleted) this.runner.erased();
      return deleted;
    });
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => countRows(sql, 'employees'));
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
    where.push('status = ?');
    params.push(query.status);
  }
  const tokens = (query.search ?? '').trim().slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8);
  for (const token of tokens) {
    where.push(
      `(badge LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\'
          OR email LIKE ? ESCAPE '\\')`,
    );
    const pattern = likePattern(token);
    params.push(pattern, pattern, pattern, pattern);
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}
