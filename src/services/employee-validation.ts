import { FacegateError } from '../domain/errors.js';
import type { EmployeeStatus } from '../domain/models.js';

/** Fields accepted when creating an employee. */
export interface EmployeeInput {
  badge: string;
  firstName: string;
  lastName: string;
  email?: string | null;
  department?: string | null;
  role?: string | null;
  status?: EmployeeStatus;
}

/** Fields accepted when updating an employee (status has its own methods). */
export type EmployeeUpdate = Partial<Omit<EmployeeInput, 'status'>>;

export const LIMITS = { badge: 64, name: 100, email: 254, department: 100, role: 64 } as const;

/** Badge: letters, digits, dot, dash, underscore; no spaces so it is safe in file names and URLs. */
const BADGE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function fail(field: string, problem: string): never {
  throw new FacegateError('VALIDATION_FAILED', `${field}: ${problem}`, { field, problem });
}

function text(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  const v = value.normalize('NFC').trim();
  if (v.length === 0) fail(field, 'must not be empty');
  if ([...v].length > max) fail(field, `must be at most ${max} characters`);
  if (CONTROL.test(v)) fail(field, 'must not contain control characters');
  return v;
}

function optionalText(field: string, value: unknown, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  return text(field, value, max);
}

/** Validates and normalises a badge (trimmed; case kept). */
export function validateBadge(value: unknown): string {
  const v = text('badge', value, LIMITS.badge);
  if (!BADGE.test(v)) fail('badge', 'may contain only letters, digits, ".", "-" and "_"');
  return v;
}

function validateEmail(value: unknown): string | null {
  const v = optionalText('email', value, LIMITS.email);
  if (v !== null && !EMAIL.test(v)) fail('email', 'is not a valid e-mail address');
  return v;
}

/** Validates a new employee; names are NFC-normalised unicode, lengths bounded. Throws `VALIDATION_FAILED`. */
export function validateNewEmployee(input: EmployeeInput): Required<Omit<EmployeeInput, 'status'>> & {
  status: EmployeeStatus;
} {
  if (input.status !== undefined && input.status !== 'active' && input.status !== 'suspended') {
    fail('status', 'must be "active" or "suspended"');
  }
  return {
    badge: validateBadge(input.badge),
    firstName: text('firstName', input.firstName, LIMITS.name),
    lastName: text('lastName', input.lastName, LIMITS.name),
    email: validateEmail(input.email),
    department: optionalText('department', input.department, LIMITS.department),
    role: optionalText('role', input.role, LIMITS.role),
    status: input.status ?? 'active',
  };
}

/** Validates an update: only given fields are checked and returned. Throws `VALIDATION_FAILED`. */
export function validateEmployeeUpdate(patch: EmployeeUpdate): EmployeeUpdate {
  const out: EmployeeUpdate = {};
  if (patch.badge !== undefined) out.badge = validateBadge(patch.badge);
  if (patch.firstName !== undefined) out.firstName = text('firstName', patch.firstName, LIMITS.name);
  if (patch.lastName !== undefined) out.lastName = text('lastName', patch.lastName, LIMITS.name);
  if (patch.email !== undefined) out.email = validateEmail(patch.email);
  if (patch.department !== undefined)
    out.department = optionalText('department', patch.department, LIMITS.department);
  if (patch.role !== undefined) out.role = optionalText('role', patch.role, LIMITS.role);
  return out;
}

/** Validates list paging: limit 1..500 (default 50), offset ≥ 0. */
export function validatePaging(limit: unknown, offset: unknown): { limit: number; offset: number } {
  const l = limit === undefined ? 50 : Number(limit);
  const o = offset === undefined ? 0 : Number(offset);
  if (!Number.isInteger(l) || l < 1 || l > 500) fail('limit', 'must be an integer in [1, 500]');
  if (!Number.isInteger(o) || o < 0) fail('offset', 'must be a non-negative integer');
  return { limit: l, offset: o };
}
