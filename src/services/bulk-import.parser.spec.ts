import { describe, expect, it } from 'vitest';
import {
  csvField,
  isManifestName,
  isPhotoName,
  manifestSeparator,
  parseManifest,
  parsePhotoFileName,
} from './bulk-import.parser.js';

describe('parsePhotoFileName', () => {
  it.each([
    ['E1_Ann_Lee.jpg', { badge: 'E1', firstName: 'Ann', lastName: 'Lee' }],
    ['E1_Ann_Lee_2.jpg', { badge: 'E1', firstName: 'Ann', lastName: 'Lee' }],
    ['E-7_Zoë_Nguyễn.JPEG', { badge: 'E-7', firstName: 'Zoë', lastName: 'Nguyễn' }],
    ['B7_Jean_de_la_Fontaine.png', { badge: 'B7', firstName: 'Jean', lastName: 'de la Fontaine' }],
    ['E9_Ann_Lee_12.webp', { badge: 'E9', firstName: 'Ann', lastName: 'Lee' }],
    ['dir/E-1001_Ada_Lovelace_2.JPEG', { badge: 'E-1001', firstName: 'Ada', lastName: 'Lovelace' }],
    ['C:\\photos\\7_Jean_Le_Rond.png', { badge: '7', firstName: 'Jean', lastName: 'Le Rond' }],
  ])('%s', (name, expected) => {
    expect(parsePhotoFileName(name)).toEqual(expected);
  });

  it.each(['photo.jpg', 'E1_Ann.jpg', 'E1__Lee.jpg', 'E1_Ann_Lee_', 'Ada_Lovelace.jpg', 'E1_ _Lee.jpg'])(
    'refuses %s',
    (name) => {
      expect(parsePhotoFileName(name)).toBeUndefined();
    },
  );

  // The CLI read `\d+` and the web UI `\d{1,3}`: a four-digit camera counter became part of the surname in one.
  it('drops a trailing photo number of any width', () => {
    expect(parsePhotoFileName('E1_Ann_Lee_0001.jpg')?.lastName).toBe('Lee');
    expect(parsePhotoFileName('E1_Ann_Lee_2024.jpg')?.lastName).toBe('Lee');
    expect(parsePhotoFileName('E1_Ann_2.jpg')?.lastName).toBe('2');
  });

  // Only the CLI normalised: the web UI created "Zoë" twice, once decomposed, from a macOS folder.
  it('normalises decomposed unicode (macOS file names) to NFC', () => {
    const parsed = parsePhotoFileName('E1_Zoe\u0308_Nguye\u0302\u0303n.jpg');
    expect(parsed?.firstName).toBe('Zoë');
    expect(parsed?.lastName).toBe('Nguyễn');
    expect(parsed?.lastName.length).toBe(6);
  });

  it('recognises photos and manifests by name', () => {
    expect(['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.gif', 'f.jpg.txt', '.jpg'].map(isPhotoName)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(isManifestName('export/Manifest.CSV')).toBe(true);
    expect(isManifestName('my-manifest.csv')).toBe(false);
  });
});

describe('parseManifest', () => {
  it('reads quotes, escaped quotes, separators and newlines inside quotes, CRLF, a BOM and blank lines', () => {
    const text =
      '\ufeffbadge,first_name,last_name,email,department,file\r\n' +
      'M1,"Zoë","Nguyễn, Jr.",zoe@example.com,"say ""R&D""","two\nlines.jpg"\r\n' +
      '\r\n' +
      'M2,Bo,Ek,,,b.jpg\n';
    expect(parseManifest(text)).toEqual({
      rows: [
        {
          line: 2,
          badge: 'M1',
          firstName: 'Zoë',
          lastName: 'Nguyễn, Jr.',
          email: 'zoe@example.com',
          department: 'say "R&D"',
          files: ['two\nlines.jpg'],
        },
        { line: 3, badge: 'M2', firstName: 'Bo', lastName: 'Ek', files: ['b.jpg'] },
      ],
      problems: [],
    });
  });

  // Only the web UI read `;`; the CLI saw one column and refused the manifest.
  it('takes the separator from the header line: ";" when it holds ";" and no ","', () => {
    expect(manifestSeparator('badge;first_name;last_name;file\n1,2;3')).toBe(';');
    expect(manifestSeparator('badge,first_name,last_name,file;x\n')).toBe(',');
    const { rows } = parseManifest('Badge;First name;Last name;File\nE1;Ada;"Love;lace";a.jpg|b.jpg\n');
    expect(rows).toEqual([
      { line: 2, badge: 'E1', firstName: 'Ada', lastName: 'Love;lace', files: ['a.jpg', 'b.jpg'] },
    ]);
  });

  it('accepts header aliases and several files separated by "|"', () => {
    const { rows } = parseManifest(
      'employee_id,firstName,LastName,photos\nE1,Ada,Lovelace, a1.jpg | a2.jpg \n',
    );
    expect(rows[0]).toMatchObject({ badge: 'E1', files: ['a1.jpg', 'a2.jpg'] });
  });

  it('normalises cells to NFC', () => {
    const { rows } = parseManifest('badge,first_name,last_name,file\nE1,Zoe\u0308,Lee,Zoe\u0308.jpg\n');
    expect(rows[0]).toMatchObject({ firstName: 'Zoë', files: ['Zoë.jpg'] });
  });

  it('reports missing columns once, and rows without names or files', () => {
    expect(parseManifest('badge,name\nB1,Ann\n')).toEqual({
      rows: [],
      problems: [
        {
          file: 'manifest.csv',
          code: 'BAD_MANIFEST',
          message: 'missing columns "first_name", "last_name", "file"',
        },
      ],
    });
    const { rows, problems } = parseManifest(
      'badge,first_name,last_name,file\n,No,Badge,x.jpg\nE2,Bo,Ek,\nE3,Cy,Ho,c.jpg\n',
    );
    expect(rows.map((r) => r.badge)).toEqual(['E3']);
    expect(problems).toEqual([
      {
        file: 'manifest.csv line 2',
        code: 'BAD_MANIFEST',
        message: 'badge, firstName and lastName are required',
      },
      { file: 'manifest.csv line 3', code: 'BAD_MANIFEST', message: 'no photo file listed for badge E2' },
    ]);
  });

  it('reports an unterminated quote', () => {
    const { problems } = parseManifest('badge,first_name,last_name,file\nE1,Ada,"Love,a.jpg\n');
    expect(problems.map((p) => p.code)).toContain('BAD_MANIFEST');
  });
});

describe('csvField', () => {
  it('quotes always on request', () => {
    expect(csvField('plain', 'always')).toBe('"plain"');
    expect(csvField('=x', 'always')).toBe(`"'=x"`);
  });

  it('quotes only when needed and neutralises formulas', () => {
    expect(
      ['plain', 'a,b', 'x;y', 'say "hi"', 'two\nlines', '=cmd', '+1', '-2', '@x'].map((v) => csvField(v)),
    ).toEqual(['plain', '"a,b"', '"x;y"', '"say ""hi"""', '"two\nlines"', "'=cmd", "'+1", "'-2", "'@x"]);
  });
});
