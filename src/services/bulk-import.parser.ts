/**
 * Bulk-import parsing shared by the CLI (`facegate employee import`) and the admin web UI: photo file names and
 * `manifest.csv`. Pure (no Node imports) so the web client bundles it; each side only lists its files its own way.
 *
 * The rules, the same on both sides:
 * - Names are `<badge>_<First>_<Last>[_n].<ext>`. Parts after the first name join the last name with spaces. A last
 *   part made of digits only, of any width (`_2`, `_0001`), numbers several photos of one person: no surname is
 *   made of digits, while cameras and scripts number files with four digits or more.
 * - Every name and cell is NFC-normalised (macOS writes file names decomposed, spreadsheets may too) and trimmed.
 * - `manifest.csv` is RFC 4180 CSV (papaparse). Its header line picks the separator: `;` when it holds a `;` and no
 *   `,` (what spreadsheets write in locales with a decimal comma), else `,`. Papaparse's own guess is not used
 *   because `|`, which separates several photos in one `file` cell, is among the separators it tries.
 * - Header names ignore case, spaces, `_` and `-`, with aliases (`first_name` = `firstName` = `First name`).
 *   Required: badge, first name, last name, file; optional: email, department.
 */
import Papa from 'papaparse';

/** File name of the manifest inside an import folder or zip. */
export const MANIFEST_NAME = 'manifest.csv';

/** Image file extensions an import or a watch folder picks up (lower case, with the dot). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** The employee a photo or manifest row names. */
export interface PersonName {
  badge: string;
  firstName: string;
  lastName: string;
}

/** One manifest row: the employee and the photo paths it lists. */
export interface ManifestRow extends PersonName {
  /** Line of the row in the file (header = 1), for messages. */
  line: number;
  email?: string;
  department?: string;
  files: string[];
}

/** Why a file or manifest row cannot be imported. */
export type ImportProblemCode =
  | 'BAD_FILE_NAME'
  | 'BAD_MANIFEST'
  | 'NOT_A_PHOTO'
  | 'NOT_IN_MANIFEST'
  | 'FILE_NOT_FOUND';

/** A file or manifest row that could not even be attempted. */
export interface ImportProblem {
  file: string;
  code: ImportProblemCode;
  message: string;
}

/** What a manifest holds. */
export interface Manifest {
  rows: ManifestRow[];
  problems: ImportProblem[];
}

/** Message of a `BAD_FILE_NAME` problem. */
export const BAD_FILE_NAME_MESSAGE = 'File name must be <badge>_<First>_<Last>[_n].jpg';

/** The last segment of a `/` or `\` separated path. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** True when the path names a JPEG, PNG or WebP file. */
export function isPhotoName(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extension(baseName(path)));
}

/** True when the path names a `manifest.csv` (any case, any folder). */
export function isManifestName(path: string): boolean {
  return baseName(path).toLowerCase() === MANIFEST_NAME;
}

const clean = (value: string): string => value.normalize('NFC').trim();

/**
 * Reads `<badge>_<First>_<Last>[_n].<ext>` from a path's base name; extra parts join the last name
 * ("B7_Jean_de_la_Fontaine.jpg"). Returns undefined when the name does not follow the pattern.
 */
export function parsePhotoFileName(path: string): PersonName | undefined {
  const name = baseName(path);
  const ext = extension(name);
  const parts = clean(name.slice(0, name.length - ext.length))
    .split('_')
    .map(clean);
  if (parts.length >= 4 && /^\d+$/.test(parts.at(-1) ?? '')) parts.pop();
  if (parts.length < 3 || parts.some((p) => p === '')) return undefined;
  const [badge, firstName, ...last] = parts as [string, string, ...string[]];
  return { badge, firstName, lastName: last.join(' ') };
}

type Column = 'badge' | 'firstName' | 'lastName' | 'email' | 'department' | 'file';

const COLUMN_ALIASES: Readonly<Record<string, Column>> = {
  badge: 'badge',
  badgeid: 'badge',
  employeeid: 'badge',
  firstname: 'firstName',
  lastname: 'lastName',
  email: 'email',
  department: 'department',
  file: 'file',
  files: 'file',
  filename: 'file',
  photo: 'file',
  photos: 'file',
};

const REQUIRED: ReadonlyArray<[Column, string]> = [
  ['badge', 'badge'],
  ['firstName', 'first_name'],
  ['lastName', 'last_name'],
  ['file', 'file'],
];

/** The separator rule described at the top of this file. */
export function manifestSeparator(text: string): ',' | ';' {
  const header = text.split(/\r?\n/, 1)[0] ?? '';
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

const problem = (line: number, message: string): ImportProblem => ({
  file: `${MANIFEST_NAME} line ${line}`,
  code: 'BAD_MANIFEST',
  message,
});

/** Parses `manifest.csv` text into rows (with their photo paths) and problems (missing columns or fields). */
export function parseManifest(text: string): Manifest {
  const source = text.replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(source, {
    delimiter: manifestSeparator(source),
    skipEmptyLines: 'greedy',
  });
  const [header = [], ...records] = parsed.data;
  const columns = header.map(
    (h) =>
      COLUMN_ALIASES[
        clean(h)
          .toLowerCase()
          .replace(/[\s_-]+/g, '')
      ],
  );
  const missing = REQUIRED.filter(([column]) => !columns.includes(column)).map(([, name]) => `"${name}"`);
  if (missing.length > 0) {
    const message = `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    return { rows: [], problems: [{ file: MANIFEST_NAME, code: 'BAD_MANIFEST', message }] };
  }
  const manifest: Manifest = { rows: [], problems: [] };
  for (const error of parsed.errors) {
    manifest.problems.push(problem((error.row ?? 0) + 1, error.message));
  }
  for (const [n, cells] of records.entries()) {
    const line = n + 2;
    const cell: Partial<Record<Column, string>> = {};
    for (const [j, column] of columns.entries()) if (column) cell[column] = clean(cells[j] ?? '');
    const { badge, firstName, lastName } = cell;
    if (!badge || !firstName || !lastName) {
      manifest.problems.push(problem(line, 'badge, firstName and lastName are required'));
      continue;
    }
    const files = (cell.file ?? '')
      .split('|')
      .map(clean)
      .filter((f) => f !== '');
    if (files.length === 0) {
      manifest.problems.push(problem(line, `no photo file listed for badge ${badge}`));
      continue;
    }
    const email = cell.email || undefined;
    const department = cell.department || undefined;
    manifest.rows.push({ line, badge, firstName, lastName, email, department, files });
  }
  return manifest;
}

/**
 * One CSV field, spreadsheet formulas neutralised (names come from files); quoted when needed, or always with
 * `quote: 'always'`.
 */
export function csvField(value: string, quote: 'always' | 'when-needed' = 'when-needed'): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return quote === 'always' || /[",;\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
