/**
 * The admin pages' calls of the API, through the typed client (`../shared/api.ts`): paths, bodies and answers
 * come from the OpenAPI document.
 */
import { MODEL_THRESHOLDS } from '../../../gallery/threshold-presets.js';
import { api, asIs, ok } from '../shared/api.js';
import type {
  ApiKeyDto,
  AuditPage,
  AuditQuery,
  CreatedKeyResponse,
  CreateEmployeeBody,
  EmployeeDto,
  EmployeePage,
  EnrollNewResultDto,
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

/** The path parameter of an employee's routes. */
const employee = (id: string) => ({ params: { path: { id } } });

/** Lists employees. */
export async function listEmployees(query: ListEmployeesQuery): Promise<EmployeePage> {
  return ok(api.GET('/v1/employees', { params: { query } }));
}

/** Gets one employee. */
export async function getEmployee(id: string): Promise<EmployeeDto> {
  return ok(api.GET('/v1/employees/{id}', employee(id)));
}

/** Lists the face templates of an employee. */
export async function listFaces(id: string): Promise<FaceDto[]> {
  return (await ok(api.GET('/v1/employees/{id}/faces', employee(id)))).items;
}

/** Fields of the employee form. */
export type EmployeeInput = CreateEmployeeBody;

/** Creates an employee. */
export async function createEmployee(input: CreateEmployeeBody): Promise<EmployeeDto> {
  return ok(api.POST('/v1/employees', { body: input }));
}

/** Updates an employee. */
export async function updateEmployee(id: string, patch: UpdateEmployeeBody): Promise<EmployeeDto> {
  return ok(api.PATCH('/v1/employees/{id}', { ...employee(id), body: patch }));
}

/** Suspends, reactivates or unlocks face login. */
export async function employeeAction(id: string, action: 'suspend' | 'reactivate' | 'unlock'): Promise<void> {
  const path = `/v1/employees/{id}/${action}` as const;
  await ok(api.POST(path, employee(id)));
}

/** Erases an employee and every biometric record of them. */
export async function deleteEmployee(id: string): Promise<void> {
  await ok(api.DELETE('/v1/employees/{id}', employee(id)));
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
  const query = options.confirmMismatch ? { confirmMismatch: true } : undefined;
  const answer = await ok(
    api.POST('/v1/employees/{id}/faces', {
      params: { path: { id }, ...(query ? { query } : {}) },
      body: { photos: photos.map((photo) => photo.blob) },
      bodySerializer: asIs(() => photosForm(photos)),
    }),
  );
  return answer.photos;
}

/** Deletes one face template of an employee, with its kept photo and its gallery entry. */
export async function deleteFace(employeeId: string, faceId: string): Promise<void> {
  await ok(api.DELETE('/v1/employees/{id}/faces/{faceId}', { params: { path: { id: employeeId, faceId } } }));
}

/**
 * Creates an employee together with photos (`POST /v1/employees/enroll`): a new badge is created only with its
 * first accepted photo, an existing badge gets the photos added. Returns one result per photo.
 */
export async function enrollByBadge(
  input: CreateEmployeeBody,
  files: readonly NamedPhoto[],
): Promise<EnrollNewResultDto> {
  const form = () => {
    const fields = new FormData();
    for (const [field, value] of Object.entries(input)) if (value) fields.append(field, value);
    return photosForm(files, fields);
  };
  return ok(
    api.POST('/v1/employees/enroll', {
      body: {
        badge: input.badge,
        firstName: input.firstName,
        lastName: input.lastName,
        email: input.email || undefined,
        department: input.department || undefined,
        role: input.role || undefined,
        photos: files.map((file) => file.blob),
      },
      bodySerializer: asIs(form),
    }),
  );
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
  const query = { ...auditQuery(filter), ...(cursor ? { cursor } : {}), limit };
  return ok(api.GET('/v1/audit', { params: { query } }));
}

export type PresetName = SettingsDto['thresholdPreset'];

/** Reads the settings. */
export async function getSettings(): Promise<SettingsDto> {
  return ok(api.GET('/v1/settings'));
}

/** Saves the settings. */
export async function saveSettings(settings: SettingsDto): Promise<void> {
  await ok(api.PUT('/v1/settings', { body: settings }));
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
  const { available, calibration, rocSvg } = await ok(api.GET('/v1/calibration'));
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
    engine = (await ok(api.GET('/readyz'))).engine ?? '';
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
  return (await ok(api.GET('/v1/keys'))).items;
}

/** Creates an API key; the secret is returned once. */
export async function createApiKey(name: string, role: Role): Promise<CreatedKeyResponse> {
  return ok(api.POST('/v1/keys', { body: { name, role } }));
}

/** Revokes an API key. */
export async function revokeApiKey(id: string): Promise<void> {
  await ok(api.DELETE('/v1/keys/{id}', { params: { path: { id } } }));
}

/** Lists users. */
export async function listUsers(): Promise<UserDto[]> {
  return (await ok(api.GET('/v1/users'))).items;
}

/** Creates a user. */
export async function createUser(input: { username: string; password: string; role: Role }): Promise<void> {
  await ok(api.POST('/v1/users', { body: input }));
}

/** Changes a user's role or disables them. */
export async function updateUser(id: string, patch: UpdateUserBody): Promise<void> {
  await ok(api.PATCH('/v1/users/{id}', { params: { path: { id } }, body: patch }));
}

/** Deletes a user. */
export async function deleteUser(id: string): Promise<void> {
  await ok(api.DELETE('/v1/users/{id}', { params: { path: { id } } }));
}

/** Starts pairing a kiosk: a one-time code that creates its key when the kiosk redeems it. */
export async function startPairing(name: string, allowPhotoUpload: boolean): Promise<StartedPairingDto> {
  return ok(api.POST('/v1/kiosk/pairings', { body: { name, allowPhotoUpload } }));
}

/** Whether a kiosk set-up PIN exists, and which kiosk keys offer the photo fallback. */
export async function kioskOverview(): Promise<KioskOverviewDto> {
  return ok(api.GET('/v1/kiosk/overview'));
}

/** Turns a kiosk key's "Use a photo instead" fallback on or off. */
export async function setKioskPhotoUpload(keyId: string, allowPhotoUpload: boolean): Promise<void> {
  await ok(api.PUT('/v1/keys/{id}/kiosk', { params: { path: { id: keyId } }, body: { allowPhotoUpload } }));
}

/** Sets (digits) or removes (`null`) the kiosk set-up PIN. */
export async function setKioskSetupPin(pin: string | null): Promise<void> {
  await ok(api.PUT('/v1/kiosk/setup-pin', { body: { pin } }));
}
