/** The admin pages' calls of the API. Shapes come from the server's schemas (`../shared/api-types.ts`). */
import { MODEL_THRESHOLDS } from '../../../gallery/threshold-presets.js';
import { apiRequest } from '../shared/api.js';
import type {
  ApiKeyDto,
  AuditPage,
  AuditQuery,
  CalibrationResponse,
  CreatedKeyResponse,
  CreateEmployeeBody,
  EmployeeDto,
  EmployeePage,
  EnrollNewResultDto,
  EnrollResultDto,
  FaceDto,
  KioskOverviewDto,
  ListEmployeesQuery,
  PhotoResultDto,
  SettingsDto,
  StartedPairingDto,
  UpdateEmployeeBody,
  UpdateUserBody,
  UserDto,
} from '../shared/api-types.js';
import type { Role } from './session.js';

export type {
  ApiKeyDto,
  AuditEventDto as AuditDto,
  EmployeeDto,
  FaceDto,
  PhotoResultDto,
  SettingsDto,
  UserDto,
} from '../shared/api-types.js';

/** URL of a kept enrollment photo (session cookie; admins and enrollers only). */
export function photoUrl(employeeId: string, photoId: string): string {
  return `/v1/employees/${encodeURIComponent(employeeId)}/photos/${encodeURIComponent(photoId)}`;
}

const employeePath = (id: string, rest = ''): string => `/employees/${encodeURIComponent(id)}${rest}`;

/** Lists employees. */
export async function listEmployees(query: ListEmployeesQuery): Promise<EmployeePage> {
  return apiRequest<EmployeePage>('/employees', { query });
}

/** Gets one employee. */
export async function getEmployee(id: string): Promise<EmployeeDto> {
  return apiRequest<EmployeeDto>(employeePath(id));
}

/** Lists the face templates of an employee. */
export async function listFaces(id: string): Promise<FaceDto[]> {
  return (await apiRequest<{ items: FaceDto[] }>(employeePath(id, '/faces'))).items;
}

/** Fields of the employee form. */
export type EmployeeInput = CreateEmployeeBody;

/** Creates an employee. */
export async function createEmployee(input: CreateEmployeeBody): Promise<EmployeeDto> {
  return apiRequest<EmployeeDto>('/employees', { method: 'POST', body: input });
}

/** Updates an employee. */
export async function updateEmployee(id: string, patch: UpdateEmployeeBody): Promise<EmployeeDto> {
  return apiRequest<EmployeeDto>(employeePath(id), { method: 'PATCH', body: patch });
}

/** Suspends, reactivates or unlocks face login. */
export async function employeeAction(id: string, action: 'suspend' | 'reactivate' | 'unlock'): Promise<void> {
  await apiRequest<EmployeeDto>(employeePath(id, `/${action}`), { method: 'POST' });
}

/** Erases an employee and every biometric record of them. */
export async function deleteEmployee(id: string): Promise<void> {
  await apiRequest<unknown>(employeePath(id), { method: 'DELETE' });
}

/**
 * A photo to upload with the file name to send. The name travels beside the blob: a `File`'s `name` is read-only,
 * so it is never reassigned (that threw for every loose photo of a bulk import).
 */
export interface NamedPhoto {
  name: string;
  blob: Blob;
}

function photosForm(photos: readonly NamedPhoto[], form = new FormData()): FormData {
  for (const photo of photos) form.append('photos', photo.blob, photo.name);
  return form;
}

/** Uploads photos (multipart, one `photos` part per file); returns one result per photo. */
export async function uploadFaces(
  id: string,
  photos: readonly NamedPhoto[],
  options: { confirmMismatch?: boolean } = {},
): Promise<PhotoResultDto[]> {
  const body = photosForm(photos);
  const query = options.confirmMismatch ? { confirmMismatch: true } : undefined;
  return (await apiRequest<EnrollResultDto>(employeePath(id, '/faces'), { method: 'POST', body, query }))
    .photos;
}

/** Deletes one face template of an employee, with its kept photo and its gallery entry. */
export async function deleteFace(employeeId: string, faceId: string): Promise<void> {
  await apiRequest<unknown>(employeePath(employeeId, `/faces/${encodeURIComponent(faceId)}`), {
    method: 'DELETE',
  });
}

/**
 * Creates an employee together with photos (`POST /v1/employees/enroll`): a new badge is created only with its
 * first accepted photo, an existing badge gets the photos added. Returns one result per photo.
 */
export async function enrollByBadge(
  input: CreateEmployeeBody,
  files: readonly NamedPhoto[],
): Promise<EnrollNewResultDto> {
  const form = new FormData();
  for (const [field, value] of Object.entries(input)) if (value) form.append(field, value);
  return apiRequest<EnrollNewResultDto>('/employees/enroll', {
    method: 'POST',
    body: photosForm(files, form),
  });
}

/** Filters of the audit viewer. */
export interface AuditFilter {
  from?: string;
  to?: string;
  action?: string;
  outcome?: string;
  employeeId?: string;
  actorId?: string;
  /** Badge or name of an employee. */
  employeeName?: string;
  /** Username, key name or `fg_…` prefix. */
  actorName?: string;
}

/** The API's names of the audit filters (`employee`, `actor`). */
export function auditQuery(filter: AuditFilter): AuditQuery {
  return {
    from: filter.from,
    to: filter.to,
    action: filter.action,
    outcome: filter.outcome,
    employee: filter.employeeId,
    actor: filter.actorId,
    employeeName: filter.employeeName,
    actorName: filter.actorName,
  };
}

/** Reads one page of the audit log. */
export async function listAudit(filter: AuditFilter, cursor: string | null, limit = 50): Promise<AuditPage> {
  return apiRequest<AuditPage>('/audit', { query: { ...auditQuery(filter), cursor, limit } });
}

export type PresetName = SettingsDto['thresholdPreset'];

/** Reads the settings. */
export async function getSettings(): Promise<SettingsDto> {
  return apiRequest<SettingsDto>('/settings');
}

/** Saves the settings. */
export async function saveSettings(settings: SettingsDto): Promise<void> {
  await apiRequest<SettingsDto>('/settings', { method: 'PUT', body: settings });
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
  /** `local`: `facegate eval --save-calibration` on this server; `shipped`: the model's own calibration. */
  source: 'local' | 'shipped' | 'none';
  measuredOn: string | null;
  presets: PresetFigure[];
  /** The server's ROC chart (SVG markup), shown as an image. */
  rocSvg: string | null;
}

// `calibration` is the file `facegate eval --save-calibration` wrote (the API passes it through untyped): read the
// fields eval writes, and nothing else.
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fieldOf = (o: unknown, key: string): unknown =>
  o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;

function measuredOn(cal: Record<string, unknown>): string | null {
  const at = typeof cal.created_at === 'string' ? cal.created_at : null;
  const where = typeof cal.faces_dir === 'string' ? cal.faces_dir : null;
  const date = at ? new Date(at).toLocaleDateString([], { dateStyle: 'medium' }) : null;
  const genuine = num(cal.genuine_pairs);
  const pairs =
    genuine !== null ? `${genuine} genuine / ${num(cal.impostor_pairs) ?? 0} impostor pairs` : null;
  return [date, where, pairs].filter(Boolean).join(' · ') || null;
}

/** Reads `GET /v1/calibration`: eval's per-preset figures (`presets: { strict: { threshold, far, tar } }`). */
export async function getCalibration(): Promise<CalibrationDto> {
  const { available, calibration, rocSvg } = await apiRequest<CalibrationResponse>('/calibration');
  if (!available) return shippedCalibration();
  const cal = calibration ?? {};
  const presets = Object.entries(cal.presets ?? {}).map(([preset, figures]: [string, unknown]) => {
    const tar = num(fieldOf(figures, 'tar'));
    return {
      preset,
      threshold: num(fieldOf(figures, 'threshold')),
      far: num(fieldOf(figures, 'far')),
      frr: tar !== null ? 1 - tar : null,
    };
  });
  return { available, source: 'local', measuredOn: measuredOn(cal), presets, rocSvg };
}

/** The false-accept rate each preset's shipped threshold was chosen for (strict is extrapolated). */
const SHIPPED_FAR = { strict: 1e-5, balanced: 1e-4, lenient: 1e-3 } as const;

/**
 * Until a local calibration exists: the thresholds calibrated for the running model and shipped with facegate
 * (`src/gallery/threshold-presets.ts`), with the false-accept rate each was chosen for.
 */
async function shippedCalibration(): Promise<CalibrationDto> {
  const none: CalibrationDto = {
    available: false,
    source: 'none',
    measuredOn: null,
    presets: [],
    rocSvg: null,
  };
  let engine = '';
  try {
    const res = await fetch('/readyz', { headers: { accept: 'application/json' } });
    engine = res.ok ? (((await res.json()) as { engine?: string }).engine ?? '') : '';
  } catch {
    return none;
  }
  const table = MODEL_THRESHOLDS[engine.replace(/@[^@]*$/, '')];
  if (!table) return none;
  const presets = (['strict', 'balanced', 'lenient'] as const).map((preset) => ({
    preset,
    threshold: table[preset],
    far: SHIPPED_FAR[preset],
    frr: null,
  }));
  return { available: true, source: 'shipped', measuredOn: table.measuredOn, presets, rocSvg: null };
}

/** Lists API keys. */
export async function listApiKeys(): Promise<ApiKeyDto[]> {
  return (await apiRequest<{ items: ApiKeyDto[] }>('/keys')).items;
}

/** Creates an API key; the secret is returned once. */
export async function createApiKey(name: string, role: Role): Promise<CreatedKeyResponse> {
  return apiRequest<CreatedKeyResponse>('/keys', { method: 'POST', body: { name, role } });
}

/** Revokes an API key. */
export async function revokeApiKey(id: string): Promise<void> {
  await apiRequest<unknown>(`/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Lists users. */
export async function listUsers(): Promise<UserDto[]> {
  return (await apiRequest<{ items: UserDto[] }>('/users')).items;
}

/** Creates a user. */
export async function createUser(input: { username: string; password: string; role: Role }): Promise<void> {
  await apiRequest<UserDto>('/users', { method: 'POST', body: input });
}

/** Changes a user's role or disables them. */
export async function updateUser(id: string, patch: UpdateUserBody): Promise<void> {
  await apiRequest<UserDto>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
}

/** Deletes a user. */
export async function deleteUser(id: string): Promise<void> {
  await apiRequest<unknown>(`/users/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Starts pairing a kiosk: a one-time code that creates its key when the kiosk redeems it. */
export async function startPairing(name: string, allowPhotoUpload: boolean): Promise<StartedPairingDto> {
  return apiRequest<StartedPairingDto>('/kiosk/pairings', {
    method: 'POST',
    body: { name, allowPhotoUpload },
  });
}

/** Whether a kiosk set-up PIN exists, and which kiosk keys offer the photo fallback. */
export async function kioskOverview(): Promise<KioskOverviewDto> {
  return apiRequest<KioskOverviewDto>('/kiosk/overview');
}

/** Turns a kiosk key's "Use a photo instead" fallback on or off. */
export async function setKioskPhotoUpload(keyId: string, allowPhotoUpload: boolean): Promise<void> {
  await apiRequest<unknown>(`/keys/${encodeURIComponent(keyId)}/kiosk`, {
    method: 'PUT',
    body: { allowPhotoUpload },
  });
}

/** Sets (digits) or removes (`null`) the kiosk set-up PIN. */
export async function setKioskSetupPin(pin: string | null): Promise<void> {
  await apiRequest<unknown>('/kiosk/setup-pin', { method: 'PUT', body: { pin } });
}
