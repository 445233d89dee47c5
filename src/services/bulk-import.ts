import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Actor } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import { at } from '../util/checked-access.js';
import {
  BAD_FILE_NAME_MESSAGE,
  csvField,
  type ImportProblem,
  isManifestName,
  isPhotoName,
  parseManifest,
  parsePhotoFileName,
} from './bulk-import.parser.js';
import type { EnrollmentService, PhotoReason } from './enrollment.service.js';

// The watch folder reads file names by the same rules.
export { IMAGE_EXTENSIONS, type ImportProblem, parsePhotoFileName } from './bulk-import.parser.js';

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
 * Lists what `dir` holds: the rows of its `manifest.csv` when present (paths relative to `dir`), else its image
 * files named by the badge pattern. File-name and manifest rules: {@link parseManifest}'s module.
 */
export async function planImport(dir: string): Promise<ImportPlan> {
  const root = resolve(dir);
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  const manifest = names.find(isManifestName);
  if (manifest) return planFromManifest(root, await readFile(join(root, manifest), 'utf8'));
  const plan: ImportPlan = { source: 'filenames', entries: [], problems: [] };
  for (const name of names.sort()) {
    if (!isPhotoName(name)) continue;
    const parsed = parsePhotoFileName(name);
    if (!parsed) plan.problems.push({ file: name, code: 'BAD_FILE_NAME', message: BAD_FILE_NAME_MESSAGE });
    else plan.entries.push({ file: name, ...parsed });
  }
  return plan;
}

function planFromManifest(root: string, text: string): ImportPlan {
  const { rows, problems } = parseManifest(text);
  const plan: ImportPlan = { source: 'manifest', entries: [], problems };
  for (const { files, line: _line, ...person } of rows) {
    for (const file of files) {
      const rel = relative(root, resolve(root, file));
      if (rel.startsWith('..') || isAbsolute(rel)) {
        problems.push({ file, code: 'BAD_MANIFEST', message: 'file must name a photo inside the folder' });
      } else plan.entries.push({ file: rel, ...person });
    }
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
  push(plan.problems.map(problemRow));

  const groups = new Map<string, ImportEntry[]>();
  for (const e of plan.entries) groups.set(e.badge, [...(groups.get(e.badge) ?? []), e]);
  for (const entries of groups.values()) {
    if (options.signal?.aborted) break;
    const rows = entries.map(entryRow);
    const photos = await readPhotos(root, entries, rows);
    if (photos.length > 0 && (await enrollGroup(enrollment, at(entries, 0), photos, actor, options.force))) {
      summary.employeesCreated++;
    }
    push(rows);
  }
  return summary;
}

/** A photo read from disk, with the row its outcome is written to. */
interface ReadPhoto {
  bytes: Uint8Array;
  file: string;
  row: ImportRow;
}

/** The rejected row for a plan problem (bad file name, bad manifest line). */
function problemRow(p: ImportProblem): ImportRow {
  return {
    file: p.file,
    badge: '',
    firstName: '',
    lastName: '',
    accepted: false,
    alreadyEnrolled: false,
    reasons: [{ code: p.code, message: p.message }],
  };
}

/** The not-yet-decided row for a plan entry. */
function entryRow(e: ImportEntry): ImportRow {
  return {
    file: e.file,
    badge: e.badge,
    firstName: e.firstName,
    lastName: e.lastName,
    accepted: false,
    alreadyEnrolled: false,
    reasons: [],
  };
}

/** Reads each entry's file; an unreadable file gets a FILE_UNREADABLE reason on its row and is left out. */
async function readPhotos(
  root: string,
  entries: readonly ImportEntry[],
  rows: ImportRow[],
): Promise<ReadPhoto[]> {
  const photos: ReadPhoto[] = [];
  for (const [i, e] of entries.entries()) {
    try {
      photos.push({ bytes: await readFile(join(root, e.file)), file: e.file, row: at(rows, i) });
    } catch (error) {
      at(rows, i).reasons.push({
        code: 'FILE_UNREADABLE',
        message: (error as NodeJS.ErrnoException).code ?? 'read failed',
      });
    }
  }
  return photos;
}

/**
 * Enrolls one employee's photos in one call and writes each photo's outcome to its row; a facegate error
 * becomes a reason on every photo. Returns whether the employee was created.
 */
async function enrollGroup(
  enrollment: EnrollmentService,
  first: ImportEntry,
  photos: readonly ReadPhoto[],
  actor: Actor,
  force: boolean | undefined,
): Promise<boolean> {
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
      { force },
    );
    for (const [i, p] of photos.entries()) {
      const r = at(result.photos, i);
      Object.assign(p.row, {
        accepted: r.accepted,
        alreadyEnrolled: r.alreadyEnrolled === true,
        templateId: r.templateId,
        reasons: r.reasons,
      });
    }
    return result.created;
  } catch (error) {
    if (!isFacegateError(error)) throw error;
    for (const p of photos) p.row.reasons.push({ code: error.code, message: error.message });
    return false;
  }
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
        .map((v) => csvField(v))
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
