/** Bulk-import planning: which photos belong to which employee, from file names or a manifest.csv. */

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
  problems: Array<{ file: string; problem: string }>;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * Parses `<badge>_<First>_<Last>[_<n>].jpg` (the last-name part may hold further underscores, read as spaces;
 * a trailing number distinguishes several photos of one person). Returns null when the name does not fit.
 */
export function parsePhotoName(path: string): { badge: string; firstName: string; lastName: string } | null {
  const name = baseName(path);
  if (!IMAGE.test(name)) return null;
  const parts = name
    .replace(IMAGE, '')
    .split('_')
    .map((p) => p.trim());
  if (parts.length >= 4 && /^\d{1,3}$/.test(parts.at(-1) ?? '')) parts.pop();
  if (parts.length < 3 || parts.some((p) => p === '')) return null;
  const [badge, firstName, ...rest] = parts as [string, string, ...string[]];
  return { badge, firstName, lastName: rest.join(' ') };
}

/** Parses CSV text (RFC 4180 quotes, comma or semicolon separated) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const sep =
    (text.split(/\r?\n/, 1)[0] ?? '').includes(';') && !text.split(/\r?\n/, 1)[0]?.includes(',') ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.some((x) => x.trim() !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  row.push(cell);
  if (row.some((x) => x.trim() !== '')) rows.push(row);
  return rows;
}

const COLUMN_ALIASES: Record<string, keyof ManifestRow> = {
  badge: 'badge',
  employee_id: 'badge',
  badge_id: 'badge',
  firstname: 'firstName',
  first_name: 'firstName',
  lastname: 'lastName',
  last_name: 'lastName',
  email: 'email',
  department: 'department',
  file: 'file',
  photo: 'file',
  filename: 'file',
  files: 'file',
  photos: 'file',
};

interface ManifestRow {
  badge: string;
  firstName: string;
  lastName: string;
  email: string;
  department: string;
  file: string;
}

/**
 * Builds the plan. With a manifest (`badge,firstName,lastName[,email,department],file` — `file` may list several
 * names separated by `|`), photos are looked up by name; without one, names follow `<badge>_<First>_<Last>.jpg`.
 */
export function planImport(files: readonly ImportFile[], manifestText?: string): ImportPlan {
  const problems: ImportPlan['problems'] = [];
  const people = new Map<string, ImportPerson>();
  const images = files.filter((f) => IMAGE.test(f.name));
  const byName = new Map(images.map((f) => [baseName(f.name).toLowerCase(), f]));

  const person = (
    badge: string,
    firstName: string,
    lastName: string,
    email?: string,
    department?: string,
  ) => {
    let p = people.get(badge);
    if (!p) {
      p = { badge, firstName, lastName, email: email || null, department: department || null, photos: [] };
      people.set(badge, p);
    }
    return p;
  };

  if (manifestText !== undefined) {
    const [header, ...rows] = parseCsv(manifestText.replace(/^\uFEFF/, ''));
    const columns = (header ?? []).map((h) => COLUMN_ALIASES[h.trim().toLowerCase().replace(/\s+/g, '_')]);
    for (const col of ['badge', 'firstName', 'lastName', 'file'] as const) {
      if (!columns.includes(col)) problems.push({ file: 'manifest.csv', problem: `missing column "${col}"` });
    }
    if (problems.length) return { people: [], problems };
    const used = new Set<ImportFile>();
    rows.forEach((cells, i) => {
      const r: Partial<ManifestRow> = {};
      columns.forEach((col, j) => {
        if (col) r[col] = (cells[j] ?? '').trim();
      });
      if (!r.badge || !r.firstName || !r.lastName) {
        problems.push({
          file: `manifest.csv line ${i + 2}`,
          problem: 'badge, firstName and lastName are required',
        });
        return;
      }
      const p = person(r.badge, r.firstName, r.lastName, r.email, r.department);
      for (const ref of (r.file ?? '')
        .split('|')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const f = byName.get(baseName(ref).toLowerCase());
        if (f) {
          p.photos.push(f);
          used.add(f);
        } else problems.push({ file: ref, problem: `listed for badge ${r.badge} but not found` });
      }
    });
    for (const f of images)
      if (!used.has(f)) problems.push({ file: f.name, problem: 'not listed in manifest.csv' });
  } else {
    for (const f of images) {
      const parsed = parsePhotoName(f.name);
      if (!parsed) {
        problems.push({ file: f.name, problem: 'name is not <badge>_<First>_<Last>.jpg' });
        continue;
      }
      person(parsed.badge, parsed.firstName, parsed.lastName).photos.push(f);
    }
  }
  for (const f of files) {
    if (!IMAGE.test(f.name) && !/manifest\.csv$/i.test(f.name) && !f.name.endsWith('/')) {
      problems.push({ file: f.name, problem: 'not a JPEG, PNG or WebP photo' });
    }
  }
  return { people: [...people.values()], problems };
}

/** One line of the downloadable report. */
export interface ReportRow {
  file: string;
  badge: string;
  name: string;
  outcome: 'accepted' | 'rejected' | 'error' | 'skipped';
  reason: string;
}

function csvCell(value: string): string {
  // Quote always; neutralise spreadsheet formulas in names coming from files.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The CSV report (header + one line per row). */
export function reportCsv(rows: readonly ReportRow[]): string {
  const lines = [['file', 'badge', 'name', 'outcome', 'reason'].join(',')];
  for (const r of rows) lines.push([r.file, r.badge, r.name, r.outcome, r.reason].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
