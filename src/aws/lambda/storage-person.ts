import {
  baseName,
  isPhotoName,
  MANIFEST_NAME,
  type Manifest,
  type PersonName,
  parsePhotoFileName,
} from '../../services/bulk-import.parser.js';

/** The employee a dropped photo belongs to, and where that came from. */
export interface StoragePerson extends PersonName {
  email?: string;
  department?: string;
  from: 'metadata' | 'manifest' | 'file-name';
}

/** Why a dropped object names nobody. */
export interface PersonProblem {
  code: 'NOT_A_PHOTO' | 'BAD_FILE_NAME' | 'BAD_METADATA';
  message: string;
}

/** S3 user metadata keys (S3 lower-cases them) that name the employee, as in the original seed's uploads. */
const METADATA_KEYS = {
  badge: ['badge', 'badge-id', 'employee-id'],
  firstName: ['first-name', 'firstname', 'first_name'],
  lastName: ['last-name', 'lastname', 'last_name'],
} as const;

function pick(metadata: Readonly<Record<string, string>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = metadata[name]?.normalize('NFC').trim();
    if (value) return value;
  }
  return undefined;
}

/** The folder part of a key, with its trailing `/` (empty at the bucket root). */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash + 1);
}

/** The key of the manifest that governs `key`: `manifest.csv` in the same folder. */
export function manifestKeyFor(key: string): string {
  return `${folderOf(key)}${MANIFEST_NAME}`;
}

/**
 * Who a dropped photo names, in this order: its S3 metadata (`badge`, `first-name`, `last-name`), a row of the
 * folder's `manifest.csv` listing the file, then the `<badge>_<First>_<Last>[_n].jpg` file-name convention.
 */
export function personFor(
  key: string,
  metadata: Readonly<Record<string, string>>,
  manifest: Manifest | undefined,
): StoragePerson | PersonProblem {
  if (!isPhotoName(key))
    return { code: 'NOT_A_PHOTO', message: 'Only .jpg, .jpeg, .png and .webp files are enrolled' };
  const badge = pick(metadata, METADATA_KEYS.badge);
  const firstName = pick(metadata, METADATA_KEYS.firstName);
  const lastName = pick(metadata, METADATA_KEYS.lastName);
  if (badge || firstName || lastName) {
    if (badge && firstName && lastName) return { badge, firstName, lastName, from: 'metadata' };
    return { code: 'BAD_METADATA', message: 'Metadata must give badge, first-name and last-name together' };
  }
  const relative = key.slice(folderOf(key).length);
  const row = manifest?.rows.find((r) => r.files.some((f) => f === relative || baseName(f) === relative));
  if (row) {
    const { badge: b, firstName: f, lastName: l, email, department } = row;
    return { badge: b, firstName: f, lastName: l, email, department, from: 'manifest' };
  }
  const named = parsePhotoFileName(key);
  if (named) return { ...named, from: 'file-name' };
  return {
    code: 'BAD_FILE_NAME',
    message: 'Name the file <badge>_<First>_<Last>.jpg, list it in manifest.csv or set metadata',
  };
}
