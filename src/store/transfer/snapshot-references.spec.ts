import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { TRANSFER_TABLES, type TransferRow, type TransferTable } from '../store-transfer.port.js';
import { photoKeysOf, SnapshotReferences } from './snapshot-references.js';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

function table(name: string): TransferTable {
  const found = TRANSFER_TABLES.find((t) => t.name === name);
  if (!found) throw new Error(`no table ${name}`);
  return found;
}

/** A row of the table with the given columns set and every other column null. */
function row(t: TransferTable, values: Record<string, string>): TransferRow {
  return t.columns.map(([name]) => values[name] ?? null);
}

describe('photo keys named by snapshot rows', () => {
  it('reads a template photo key, a submission list, and nothing from tables without photos', () => {
    expect(photoKeysOf(table('face_templates'), row(table('face_templates'), { photo_key: KEY_A }))).toEqual([
      KEY_A,
    ]);
    expect(photoKeysOf(table('face_templates'), row(table('face_templates'), {}))).toEqual([]);
    const submissions = table('enrolment_submissions');
    expect(
      photoKeysOf(submissions, row(submissions, { photo_keys: JSON.stringify([KEY_A, KEY_B]) })),
    ).toEqual([KEY_A, KEY_B]);
    expect(photoKeysOf(table('users'), row(table('users'), { id: KEY_A }))).toEqual([]);
  });

  it('refuses a key that is not a photo address and a list that does not parse', () => {
    const templates = table('face_templates');
    const submissions = table('enrolment_submissions');
    const bad = [
      () => photoKeysOf(templates, row(templates, { photo_key: '../../etc/passwd' })),
      () => photoKeysOf(submissions, row(submissions, { photo_keys: '{"a":1}' })),
      () => photoKeysOf(submissions, row(submissions, { photo_keys: '[' })),
    ];
    for (const call of bad) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(isFacegateError(error, 'INTERNAL')).toBe(true);
    }
  });

  it('collects the photo keys and the employee ids of observed rows', () => {
    const references = new SnapshotReferences();
    references.observe(table('employees'), [row(table('employees'), { id: 'e-1' })]);
    references.observe(table('face_templates'), [
      row(table('face_templates'), { id: 't-1', employee_id: 'e-1', photo_key: KEY_B }),
    ]);
    expect([...references.employeeIds]).toEqual(['e-1']);
    expect([...references.photoKeys]).toEqual([KEY_B]);
  });
});
