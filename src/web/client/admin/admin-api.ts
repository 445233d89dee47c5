import { apiRequest } from '../shared/api.js';
import type { Role } from './session.js';

/** Employee as the admin pages show it. */
export interface EmployeeDto {
  id: string;
  badge: string;
  firstName: string;
  lastName: string;
  email: string | null;
  department: string | null;
  status: 'active' | 'suspended';
  faceLoginLocked: boolean;
  templateCount: number | null;
  /** First kept photo (thumbnail), for roles that may view photos. */
  photoId: string | null;
  createdAt: string | null;
}

/** A face template summary (never an embedding). Its photo, when kept, is `/v1/employees/{id}/photos/{id}`. */
export interface FaceDto {
  id: string;
  photoId: string | null;
  createdAt: string | null;
  model: string | null;
}

/** Outcome of one uploaded photo. */
export interface PhotoResultDto {
  file: string | null;
  accepted: boolean;
  alreadyEnrolled: boolean;
  reasons: Array<{ code: string; message: string }>;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** Picks the list out of `{ items }`, `{ <name> }` or a bare array. */
function listOf(raw: unknown, ...names: string[]): unknown[] {
  if (Array.isArray(raw)) return raw;
  const o = obj(raw);
  for (const name of ['items', ...names]) if (Array.isArray(o[name])) return o[name] as unknown[];
  return [];
}

/** Maps an employee body of the API. */
export function toEmployee(raw: unknown): EmployeeDto {
  const wrapped = obj(raw);
  const o = wrapped.employee ? obj(wrapped.employee) : wrapped;
  const templates = arr(wrapped.templates ?? o.templates);
  return {
    id: str(o.id) ?? '',
    badge: str(o.badge) ?? '',
    firstName: str(o.firstName) ?? '',
    lastName: str(o.lastName) ?? '',
    email: str(o.email),
    department: str(o.department),
    status: o.status === 'suspended' ? 'suspended' : 'active',
    faceLoginLocked: o.faceLoginLocked === true || o.locked === true,
    templateCount: num(o.templateCount) ?? num(o.faceCount) ?? num(o.faces) ?? (templates.length || null),
    photoId: str(o.photoId),
    createdAt: str(o.createdAt),
  };
}

/** Maps a face/template summary. */
export function toFace(raw: unknown): FaceDto {
  const o = obj(raw);
  const id = str(o.id) ?? str(o.templateId) ?? '';
  const hasPhoto = o.hasPhoto !== false;
  return {
    id,
    photoId: hasPhoto ? (str(o.photoId) ?? id) : null,
    createdAt: str(o.createdAt),
    model: str(o.model),
  };
}

/** Maps the per-photo results of `POST /employees/{id}/faces`. */
export function toPhotoResults(raw: unknown): PhotoResultDto[] {
  return listOf(raw, 'photos', 'results').map((item) => {
    const o = obj(item);
    return {
      file: str(o.file) ?? str(o.filename),
      accepted: o.accepted === true,
      alreadyEnrolled: o.alreadyEnrolled === true,
      reasons: arr(o.reasons).map((r) => {
        const reason = obj(r);
        return { code: str(reason.code) ?? 'UNKNOWN', message: str(reason.message) ?? '' };
      }),
    };
  });
}

/** URL of a kept enrollment photo (session cookie; admins and enrollers only). */
export function photoUrl(employeeId: string, photoId: string): string {
  return `/v1/employees/${encodeURIComponent(employeeId)}/photos/${encodeURIComponent(photoId)}`;
}

/** Lists employees. */
export async function listEmployees(query: {
  search?: string;
  limit: number;
  offset: number;
}): Promise<{ items: EmployeeDto[]; total: number }> {
  const raw = await apiRequest<unknown>('/employees', { query });
  const items = listOf(raw, 'employees').map(toEmployee);
  return { items, total: num(obj(raw).total) ?? items.length };
}

/** Gets one employee. */
export async function getEmployee(id: string): Promise<EmployeeDto> {
  return toEmployee(await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}`));
}

/** Lists the face templates of an employee. */
export async function listFaces(id: string): Promise<FaceDto[]> {
  const raw = await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}/faces`);
  return listOf(raw, 'faces', 'templates').map(toFace);
}

/** Fields of the employee form. */
export interface EmployeeInput {
  badge: string;
  firstName: string;
  lastName: string;
  email?: string | null;
  department?: string | null;
}

/** Creates an employee. */
export async function createEmployee(input: EmployeeInput): Promise<EmployeeDto> {
  return toEmployee(await apiRequest<unknown>('/employees', { method: 'POST', body: input }));
}

/** Updates an employee. */
export async function updateEmployee(id: string, patch: Partial<EmployeeInput>): Promise<EmployeeDto> {
  return toEmployee(
    await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }),
  );
}

/** Suspends, reactivates or unlocks face login. */
export async function employeeAction(id: string, action: 'suspend' | 'reactivate' | 'unlock'): Promise<void> {
  await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
}

/** Erases an employee and every biometric record of them. */
export async function deleteEmployee(id: string): Promise<void> {
  await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Uploads photos (multipart, one `photos` part per file); returns one result per photo. */
export async function uploadFaces(
  id: string,
  files: ReadonlyArray<Blob & { name?: string }>,
): Promise<PhotoResultDto[]> {
  const form = new FormData();
  files.forEach((file, i) => {
    form.append('photos', file, file.name ?? `photo-${i + 1}.jpg`);
  });
  const raw = await apiRequest<unknown>(`/employees/${encodeURIComponent(id)}/faces`, {
    method: 'POST',
    body: form,
  });
  return toPhotoResults(raw);
}

/**
 * Creates an employee together with photos (`POST /v1/employees/enroll`): a new badge is created only with its
 * first accepted photo, an existing badge gets the photos added. Returns one result per photo.
 */
export async function enrollByBadge(
  input: EmployeeInput,
  files: ReadonlyArray<Blob & { name?: string }>,
): Promise<{ created: boolean; photos: PhotoResultDto[] }> {
  const form = new FormData();
  for (const [field, value] of Object.entries(input)) if (value) form.append(field, value);
  files.forEach((file, i) => {
    form.append('photos', file, file.name ?? `photo-${i + 1}.jpg`);
  });
  const raw = await apiRequest<unknown>('/employees/enroll', { method: 'POST', body: form });
  return { created: obj(raw).created === true, photos: toPhotoResults(raw) };
}

/** One audit record as listed. */
export interface AuditDto {
  id: string;
  at: string;
  action: string;
  outcome: string;
  reason: string | null;
  actorType: string | null;
  actorId: string | null;
  employeeId: string | null;
  ip: string | null;
  durationMs: number | null;
}

/** Filters of the audit viewer. */
export interface AuditFilter {
  from?: string;
  to?: string;
  action?: string;
  outcome?: string;
  employeeId?: string;
  actorId?: string;
}

/** The API's names of the audit filters (`employee`, `actor`). */
export function auditQuery(filter: AuditFilter): Record<string, string | undefined> {
  return {
    from: filter.from,
    to: filter.to,
    action: filter.action,
    outcome: filter.outcome,
    employee: filter.employeeId,
    actor: filter.actorId,
  };
}

/** Reads one page of the audit log. */
export async function listAudit(
  filter: AuditFilter,
  cursor: string | null,
  limit = 50,
): Promise<{ items: AuditDto[]; nextCursor: string | null }> {
  const raw = await apiRequest<unknown>('/audit', { query: { ...auditQuery(filter), cursor, limit } });
  const items = listOf(raw, 'events').map((item) => {
    const o = obj(item);
    return {
      id: str(o.id) ?? '',
      at: str(o.at) ?? '',
      action: str(o.action) ?? '',
      outcome: str(o.outcome) ?? '',
      reason: str(o.reason),
      actorType: str(o.actorType),
      actorId: str(o.actorId),
      employeeId: str(o.employeeId),
      ip: str(o.ip),
      durationMs: num(o.durationMs),
    };
  });
  return { items, nextCursor: str(obj(raw).nextCursor) };
}

export type PresetName = 'strict' | 'balanced' | 'lenient';

/** Run-time settings (`GET/PUT /v1/settings`). */
export interface SettingsDto {
  /** 1:1 verification and duplicate-face check. */
  thresholdPreset: PresetName;
  /** 1:N identification at the kiosk. */
  identifyPreset: PresetName;
  livenessMode: string;
  lockout: { threshold: number; baseDelaySeconds: number; hardCap: number };
  keepPhotos: boolean;
  auditRetentionDays: number;
  kioskShowPhoto: boolean;
}

function presetOr(value: unknown, fallback: PresetName): PresetName {
  return value === 'strict' || value === 'balanced' || value === 'lenient' ? value : fallback;
}

/** Reads the settings. */
export async function getSettings(): Promise<SettingsDto> {
  const raw = obj(await apiRequest<unknown>('/settings'));
  const s = raw.settings ? obj(raw.settings) : raw;
  const lockout = obj(s.lockout);
  return {
    thresholdPreset: presetOr(s.thresholdPreset, 'balanced'),
    identifyPreset: presetOr(s.identifyPreset, 'strict'),
    livenessMode: str(s.livenessMode) ?? 'off',
    lockout: {
      threshold: num(lockout.threshold) ?? 5,
      baseDelaySeconds: num(lockout.baseDelaySeconds) ?? 30,
      hardCap: num(lockout.hardCap) ?? 20,
    },
    keepPhotos: s.keepPhotos !== false,
    auditRetentionDays: num(s.auditRetentionDays) ?? 365,
    kioskShowPhoto: s.kioskShowPhoto === true,
  };
}

/** Saves the settings. */
export async function saveSettings(settings: SettingsDto): Promise<void> {
  await apiRequest<unknown>('/settings', { method: 'PUT', body: settings });
}

/** A preset row of the calibration table. */
export interface PresetFigure {
  preset: string;
  threshold: number | null;
  far: number | null;
  frr: number | null;
}

/** The last calibration, reduced to what the settings page shows. */
export interface CalibrationDto {
  available: boolean;
  measuredOn: string | null;
  presets: PresetFigure[];
  /** ROC points (false-accept rate, true-accept rate), when the calibration lists them. */
  roc: Array<{ far: number; tar: number }>;
  rocSvg: string | null;
}

function measuredOn(cal: Json): string | null {
  const at = str(cal.created_at) ?? str(cal.at);
  const where = str(cal.faces_dir) ?? str(cal.measuredOn) ?? str(cal.dataset);
  const date = at ? new Date(at).toLocaleDateString([], { dateStyle: 'medium' }) : null;
  const pairs =
    num(cal.genuine_pairs) !== null
      ? `${num(cal.genuine_pairs)} genuine / ${num(cal.impostor_pairs) ?? 0} impostor pairs`
      : null;
  return [date, where, pairs].filter(Boolean).join(' · ') || null;
}

/** Reads `GET /v1/calibration` and extracts presets and the ROC curve from whatever shape eval saved. */
export async function getCalibration(): Promise<CalibrationDto> {
  const raw = obj(await apiRequest<unknown>('/calibration'));
  const cal = obj(raw.calibration ?? raw);
  const presetsRaw = cal.presets ?? cal.thresholds;
  const presets: PresetFigure[] = [];
  if (Array.isArray(presetsRaw)) {
    for (const p of presetsRaw) {
      const o = obj(p);
      presets.push({
        preset: str(o.preset) ?? str(o.name) ?? '?',
        threshold: num(o.threshold),
        far: num(o.far) ?? num(o.expectedFar),
        frr: num(o.frr) ?? num(o.expectedFrr),
      });
    }
  } else {
    // eval's calibration file: { strict: { threshold, target_far, far, tar }, ... }
    for (const [preset, value] of Object.entries(obj(presetsRaw))) {
      const o = obj(value);
      presets.push({
        preset,
        threshold: typeof value === 'number' ? value : num(o.threshold),
        far: num(o.far) ?? num(o.expectedFar) ?? num(o.target_far),
        frr: num(o.frr) ?? (num(o.tar) !== null ? 1 - (num(o.tar) ?? 0) : null),
      });
    }
  }
  const roc = arr(cal.roc ?? cal.rocPoints ?? cal.curve)
    .map((p) => {
      const o = obj(p);
      const far = num(o.far) ?? num(o.fpr);
      const tar = num(o.tar) ?? num(o.tpr) ?? (num(o.frr) !== null ? 1 - (num(o.frr) ?? 0) : null);
      return far !== null && tar !== null ? { far, tar } : null;
    })
    .filter((p): p is { far: number; tar: number } => p !== null);
  return {
    available: raw.available !== false && Object.keys(cal).length > 0,
    measuredOn: measuredOn(cal),
    presets,
    roc,
    rocSvg: str(raw.rocSvg),
  };
}

/** An API key as listed (never its secret). */
export interface ApiKeyDto {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function toApiKey(raw: unknown): ApiKeyDto {
  const o = obj(raw);
  return {
    id: str(o.id) ?? '',
    name: str(o.name) ?? '',
    prefix: str(o.prefix) ?? '',
    role: (str(o.role) ?? 'kiosk') as Role,
    createdAt: str(o.createdAt),
    lastUsedAt: str(o.lastUsedAt),
    revokedAt: str(o.revokedAt),
  };
}

/** Lists API keys. */
export async function listApiKeys(): Promise<ApiKeyDto[]> {
  return listOf(await apiRequest<unknown>('/keys'), 'keys').map(toApiKey);
}

/** Creates an API key; the secret is returned once. */
export async function createApiKey(name: string, role: Role): Promise<{ key: ApiKeyDto; secret: string }> {
  const raw = obj(await apiRequest<unknown>('/keys', { method: 'POST', body: { name, role } }));
  const secret =
    str(raw.secret) ??
    str(raw.apiKey) ??
    str(obj(raw.key).secret) ??
    (typeof raw.key === 'string' ? raw.key : '');
  return { key: toApiKey(raw.key && typeof raw.key === 'object' ? raw.key : raw), secret };
}

/** Revokes an API key. */
export async function revokeApiKey(id: string): Promise<void> {
  await apiRequest<unknown>(`/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** An admin-pages user. */
export interface UserDto {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  lastLoginAt: string | null;
}

/** Lists users. */
export async function listUsers(): Promise<UserDto[]> {
  return listOf(await apiRequest<unknown>('/users'), 'users').map((u) => {
    const o = obj(u);
    return {
      id: str(o.id) ?? '',
      username: str(o.username) ?? '',
      role: (str(o.role) ?? 'auditor') as Role,
      disabled: o.disabled === true,
      lastLoginAt: str(o.lastLoginAt),
    };
  });
}

/** Creates a user. */
export async function createUser(input: { username: string; password: string; role: Role }): Promise<void> {
  await apiRequest<unknown>('/users', { method: 'POST', body: input });
}

/** Changes a user's role or disables them. */
export async function updateUser(id: string, patch: { role?: Role; disabled?: boolean }): Promise<void> {
  await apiRequest<unknown>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

/** Deletes a user. */
export async function deleteUser(id: string): Promise<void> {
  await apiRequest<unknown>(`/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
