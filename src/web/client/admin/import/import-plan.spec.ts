import { describe, expect, it } from 'vitest';
import { type ImportFile, planImport, reportCsv } from './import-plan.js';

const file = (name: string): ImportFile => ({ name, blob: new Blob([name]) });

// File-name and manifest parsing is tested with the shared parser (src/services/bulk-import.parser.spec.ts).
describe('bulk import planning', () => {
  it('groups photos per badge and reports files that do not fit', () => {
    const plan = planImport([
      file('E1_Ada_Lovelace.jpg'),
      file('E1_Ada_Lovelace_2.jpg'),
      file('E2_Grace_Hopper.png'),
      file('holiday.jpg'),
      file('notes.txt'),
    ]);
    expect(plan.people.map((p) => [p.badge, p.photos.length])).toEqual([
      ['E1', 2],
      ['E2', 1],
    ]);
    expect(plan.problems.map((p) => p.file)).toEqual(['holiday.jpg', 'notes.txt']);
  });

  it('reads decomposed unicode from a macOS folder as the same person', () => {
    const plan = planImport([file('E1_Zoe\u0308_Lee.jpg'), file('E1_Zoë_Lee_2.jpg')]);
    expect(plan.people).toMatchObject([{ badge: 'E1', firstName: 'Zoë' }]);
    expect(plan.people[0]?.photos).toHaveLength(2);
  });

  it('reads a manifest with quoted cells, several files per person and missing files', () => {
    const manifest =
      'badge,firstName,lastName,email,department,file\r\n' +
      'E1,Ada,"Lovelace, Countess",ada@example.com,Research,a1.jpg|a2.jpg\r\n' +
      'E2,Grace,Hopper,,,gone.jpg\r\n' +
      ',No,Badge,,,x.jpg\r\n';
    const plan = planImport([file('photos/a1.jpg'), file('photos/a2.jpg'), file('extra.jpg')], manifest);
    expect(plan.people[0]).toMatchObject({
      badge: 'E1',
      lastName: 'Lovelace, Countess',
      email: 'ada@example.com',
      department: 'Research',
    });
    expect(plan.people[0]?.photos.map((p) => p.name)).toEqual(['photos/a1.jpg', 'photos/a2.jpg']);
    expect(plan.people[1]?.photos).toEqual([]);
    expect(plan.problems.map((p) => p.message)).toEqual([
      'badge, firstName and lastName are required',
      'listed for badge E2 but not found',
      'not listed in manifest.csv',
    ]);
  });

  it('refuses a manifest without the required columns', () => {
    const plan = planImport([file('a.jpg')], 'name,photo\nAda,a.jpg\n');
    expect(plan.people).toEqual([]);
    expect(plan.problems.map((p) => p.message)).toContain(
      'missing columns "badge", "first_name", "last_name"',
    );
  });

  it('reads a semicolon manifest and writes a formula-safe report', () => {
    const plan = planImport([file('a.jpg')], 'badge;firstName;lastName;file\nE1;Ada;"Love;lace";a.jpg\n');
    expect(plan.people).toMatchObject([{ badge: 'E1', lastName: 'Love;lace', photos: [{ name: 'a.jpg' }] }]);
    const csv = reportCsv([
      { file: '=cmd.jpg', badge: 'E1', name: 'A "B"', outcome: 'rejected', reason: 'NO_FACE: none' },
    ]);
    expect(csv).toBe(
      'file,badge,name,outcome,reason\r\n"\'=cmd.jpg","E1","A ""B""","rejected","NO_FACE: none"\r\n',
    );
  });
});
