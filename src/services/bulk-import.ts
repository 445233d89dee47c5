import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Actor } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import type { EnrollmentService, PhotoReason } from './enrollment.service.js';

/** Image files a bulk import or watch folder picks up. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** One photo to import, with the employee it belongs to. */
export interface ImportEntry {
  /** Path relative to the import directory. */
  file: string;
  badge: string;
  firstName: string;
  lastName: string;
  email?: string;
  department?: string;
}

/** A file or manifest row that could not even be attempted. */
export interface ImportProblem {
  file: string;
  code: string;
  message: string;
}

/** What a directory holds for import. */
export interface ImportPlan {
  source: 'manifest' | 'filenames';
  entries: ImportEntry[];
  problems: ImportProblem[];
}

/** Outcome of one photo of an import. */
export interface ImportRow {
  file: string;
  badge: string;
  firstName: string;
  lastName: string;
  accepted: boolean;
  alreadyEnrolled: boolean;
  templateId?: string;
  reasons: PhotoReason[];
}

/** Outcome of a whole import. */
export interface ImportSummary {
  files: number;
  employeesCreated: number;
  photosAdded: number;
  alreadyEnrolled: number;
  rejected: number;
  rows: ImportRow[];
}

/**
 * Reads `<badge>_<First>_<Last>[_n].<ext>`; extra parts join the last name ("B7_Jean_de_la_Fontaine.jpg").
 * Returns undefined when the name does not follow the pattern.
 */
export function parsePhotoFileName(
  fileName: string,
): { badge: string; firstName: string; lastName: string } | undefined {
  const ext = extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length).normalize('NFC');
  const parts = stem.split('_');
  if (parts.length >= 4 && /^\d+$/.test(parts.at(-1) ?? '')) parts.pop();
  if (parts.length < 3 || parts.some((p) => p.trim() === '')) return undefined;
  const [badge, firstName, ...last] = parts as [string, string, ...string[]];
  return { badge: badge.trim(), firstName: firstName.trim(), lastName: last.join(' ').trim() };
}

/** Parses RFC 4180 CSV: quoted fields with `""`, commas and newlines inside quotes, CRLF, a leading BOM. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/** Quotes a CSV field when needed; neutralises spreadsheet formulas. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const MANIFEST = 'manifest.csv';
const REQUIRED_COLUMNS = ['badge', 'first_name', 'last_name', 'file'] as const;

/** Lists what `dir` holds: `manifest.csv` rows when present, else image files named by the badge pattern. */
export async function planImport(dir: string): Promise<ImportPlan> {
  const root = resolve(dir);
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  if (names.includes(MANIFEST)) return planFromManifest(root, await readFile(join(root, MANIFEST), 'utf8'));
  const plan: ImportPlan = { source: 'filenames', entries: [], problems: [] };
  for (const name of names.sort()) {
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    const parsed = parsePhotoFileName(name);
    if (!parsed) {
      plan.problems.push({
        file: name,
        code: 'BAD_FILE_NAME',
        message: 'File name must be <badge>_<First>_<Last>[_n].jpg',
      });
    } else plan.entries.push({ file: name, ...parsed });
  }
  return plan;
}

function planFromManifest(root: string, text: string): ImportPlan {
  const plan: ImportPlan = { source: 'manifest', entries: [], problems: [] };
  const [header, ...rows] = parseCsv(text);
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    plan.problems.push({
      file: MANIFEST,
      code: 'BAD_MANIFEST',
      message: `manifest.csv lacks column(s): ${missing.join(', ')}`,
    });
    return plan;
  }
  const col = (row: string[], name: string) => row[columns.indexOf(name)]?.trim() ?? '';
  for (const [n, row] of rows.entries()) {
    const file = col(row, 'file').normalize('NFC');
    const where = file || `${MANIFEST} line ${n + 2}`;
    const full = resolve(root, file);
    const rel = relative(root, full);
    if (!file || rel.startsWith('..') || isAbsolute(rel)) {
      plan.problems.push({
        file: where,
        code: 'BAD_MANIFEST',
        message: 'file must name a photo inside the folder',
      });
      continue;
    }
    plan.entries.push({
      file: rel,
      badge: col(row, 'badge'),
      firstName: col(row, 'first_name'),
      lastName: col(row, 'last_name'),
      email: col(row, 'email') || undefined,
      department: col(row, 'department') || undefined,
    });
  }
  return plan;
}

/** Progress callback: photos done so far, total photos, rows just finished. */
export type ImportProgress = (done: number, total: number, rows: ImportRow[]) => void;

/**
 * Imports a plan: photos grouped by badge, one enrollment (one transaction) per employee, so an interrupted
 * import leaves whole employees only. Idempotent: already enrolled photos are recognised by content hash.
 */
export async function runImport(
  enrollment: EnrollmentService,
  dir: string,
  plan: ImportPlan,
  actor: Actor,
  options: { force?: boolean; onProgress?: ImportProgress; signal?: AbortSignal } = {},
): Promise<ImportSummary> {
  const root = resolve(dir);
  const total = plan.entries.length + plan.problems.length;
  const summary: ImportSummary = {
    files: total,
    employeesCreated: 0,
    photosAdded: 0,
    alreadyEnrolled: 0,
    rejected: 0,
    rows: [],
  };
  const push = (rows: ImportRow[]) => {
    summary.rows.push(...rows);
    for (const r of rows) {
      if (!r.accepted) summary.rejected++;
      else if (r.alreadyEnrolled) summary.alreadyEnrolled++;
      else summary.photosAdded++;
    }
    options.onProgress?.(summary.rows.length, total, rows);
  };
  push(
    plan.problems.map((p) => ({
      file: p.file,
      badge: '',
      firstName: '',
      lastName: '',
      accepted: false,
      alreadyEnrolled: false,
      reasons: [{ code: p.code, message: p.message }],
    })),
  );

  const groups = new Map<string, ImportEntry[]>();
  for (const e of plan.entries) groups.set(e.badge, [...(groups.get(e.badge) ?? []), e]);
  for (const entries of groups.values()) {
    if (options.signal?.aborted) break;
    const first = entries[0]!;
    const rowOf = (e: ImportEntry): ImportRow => ({
      file: e.file,
      badge: e.badge,
      firstName: e.firstName,
      lastName: e.lastName,
      accepted: false,
      alreadyEnrolled: false,
      reasons: [],
    });
    const rows = entries.map(rowOf);
    const photos: Array<{ bytes: Uint8Array; file: string; row: ImportRow }> = [];
    for (const [i, e] of entries.entries()) {
      try {
        photos.push({ bytes: await readFile(join(root, e.file)), file: e.file, row: rows[i]! });
      } catch (error) {
        rows[i]!.reasons.push({
          code: 'FILE_UNREADABLE',
          message: (error as NodeJS.ErrnoException).code ?? 'read failed',
        });
      }
    }
    if (photos.length > 0) {
      try {
        const result = await enrollment.enrollByBadge(
          {
            badge: first.badge,
            firstName: first.firstName,
            lastName: first.lastName,
            email: first.email,
            department: first.department,
          },
          photos.map((p) => ({ bytes: p.bytes, file: p.file })),
          actor,
          { force: options.force },
        );
        if (result.created) summary.employeesCreated++;
        for (const [i, p] of photos.entries()) {
          const r = result.photos[i]!;
          Object.assign(p.row, {
            accepted: r.accepted,
            alreadyEnrolled: r.alreadyEnrolled === true,
            templateId: r.templateId,
            reasons: r.reasons,
          });
        }
      } catch (error) {
        if (!isFacegateError(error)) throw error;
        for (const p of photos) p.row.reasons.push({ code: error.code, message: error.message });
      }
    }
    push(rows);
  }
  return summary;
}

/** CSV of every rejected photo: file, badge, names, reason codes and messages. */
export function rejectionReportCsv(rows: readonly ImportRow[]): string {
  const lines = ['file,badge,first_name,last_name,codes,messages'];
  for (const r of rows) {
    if (r.accepted) continue;
    lines.push(
      [
        r.file,
        r.badge,
        r.firstName,
        r.lastName,
        r.reasons.map((x) => x.code).join(';'),
        r.reasons.map((x) => x.message).join('; '),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** True when `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
