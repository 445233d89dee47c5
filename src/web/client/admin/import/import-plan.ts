/**
 * Bulk-import planning in the browser: which chosen photos belong to which employee. The file-name and manifest
 * rules are the CLI's, from the shared parser; only finding a manifest's photos among the chosen files is done here.
 */
import {
  BAD_FILE_NAME_MESSAGE,
  baseName,
  csvField,
  type ImportProblem,
  isManifestName,
  isPhotoName,
  parseManifest,
  parsePhotoFileName,
} from '../../../../services/bulk-import.parser.js';

export type { ImportProblem } from '../../../../services/bulk-import.parser.js';

/** A photo to import (from a file picker or a zip). */
export interface ImportFile {
  name: string;
  blob: Blob;
}

/** One employee of an import with their photos. */
export interface ImportPerson {
  badge: string;
  firstName: string;
  lastName: string;
  email: string | null;
  department: string | null;
  photos: ImportFile[];
}

/** A plan plus the files that could not be placed. */
export interface ImportPlan {
  people: ImportPerson[];
  problems: ImportProblem[];
}

function planFromManifest(images: readonly ImportFile[], manifestText: string, plan: ImportPlan): void {
  const manifest = parseManifest(manifestText);
  plan.problems.push(...manifest.problems);
  // A zip or folder may wrap the photos in a folder of its own: the manifest's paths are matched by base name.
  const byName = new Map(images.map((f) => [baseName(f.name).normalize('NFC').toLowerCase(), f]));
  const used = new Set<ImportFile>();
  const people = new Map<string, ImportPerson>();
  for (const row of manifest.rows) {
    let person = people.get(row.badge);
    if (!person) {
      const { badge, firstName, lastName } = row;
      const [email, department] = [row.email ?? null, row.department ?? null];
      person = { badge, firstName, lastName, email, department, photos: [] };
      people.set(row.badge, person);
      plan.people.push(person);
    }
    for (const ref of row.files) {
      const file = byName.get(baseName(ref).toLowerCase());
      if (file) {
        person.photos.push(file);
        used.add(file);
      } else {
        plan.problems.push({
          file: ref,
          code: 'FILE_NOT_FOUND',
          message: `listed for badge ${row.badge} but not found`,
        });
      }
    }
  }
  for (const f of images) {
    if (!used.has(f))
      plan.problems.push({ file: f.name, code: 'NOT_IN_MANIFEST', message: 'not listed in manifest.csv' });
  }
}

function planFromFileNames(images: readonly ImportFile[], plan: ImportPlan): void {
  const people = new Map<string, ImportPerson>();
  for (const f of images) {
    const parsed = parsePhotoFileName(f.name);
    if (!parsed) {
      plan.problems.push({ file: f.name, code: 'BAD_FILE_NAME', message: BAD_FILE_NAME_MESSAGE });
      continue;
    }
    let person = people.get(parsed.badge);
    if (!person) {
      person = { ...parsed, email: null, department: null, photos: [] };
      people.set(parsed.badge, person);
      plan.people.push(person);
    }
    person.photos.push(f);
  }
}

/**
 * Builds the plan. With a manifest, its rows name the employees and their photos; without one, the photos' names
 * do (`<badge>_<First>_<Last>[_n].jpg`). Other files are reported, not imported.
 */
export function planImport(files: readonly ImportFile[], manifestText?: string): ImportPlan {
  const plan: ImportPlan = { people: [], problems: [] };
  const images = files.filter((f) => isPhotoName(f.name));
  if (manifestText !== undefined) planFromManifest(images, manifestText, plan);
  else planFromFileNames(images, plan);
  for (const f of files) {
    if (!isPhotoName(f.name) && !isManifestName(f.name) && !f.name.endsWith('/')) {
      plan.problems.push({ file: f.name, code: 'NOT_A_PHOTO', message: 'not a JPEG, PNG or WebP photo' });
    }
  }
  return plan;
}

/** One line of the downloadable report. */
export interface ReportRow {
  file: string;
  badge: string;
  name: string;
  outcome: 'accepted' | 'rejected' | 'error' | 'skipped';
  /** Codes and the server's messages (the CSV column). */
  reason: string;
  /** The reason in plain words, for the page. */
  plain?: string;
}

/** The CSV report (header + one line per row). */
export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [['file', 'badge', 'name', 'outcome', 'reason'].join(',')];
  for (const r of rows)
    lines.push([r.file, r.badge, r.name, r.outcome, r.reason].map((v) => csvField(v, 'always')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
