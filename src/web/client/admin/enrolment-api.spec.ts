import { describe, expect, it } from 'vitest';
import { badgesOf, type CreatedInvitationDto, invitationsCsv } from './enrolment-api.js';

describe('badgesOf', () => {
  it('reads one badge per line or per word', () => {
    expect(badgesOf('E-1\nE-2  E-3\n\nE-1')).toEqual(['E-1', 'E-2', 'E-3']);
  });

  it('reads the badge column of a CSV with a header, else the first column', () => {
    expect(badgesOf('name,badge\nAda,E-1\n"Grace",E-2\r\n')).toEqual(['E-1', 'E-2']);
    expect(badgesOf('E-7;Ada\nE-8;Grace')).toEqual(['E-7', 'E-8']);
  });
});

describe('invitationsCsv', () => {
  const item = (firstName: string): CreatedInvitationDto => ({
    id: 'i',
    status: 'open',
    employee: { id: 'e', badge: 'E-1', firstName, lastName: 'Lee, Jr', email: null },
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-08T00:00:00.000Z',
    revokedAt: null,
    usedAt: null,
    consentVersion: null,
    link: '/enrol/abc',
  });

  it('writes full links, quotes commas and defuses spreadsheet formulas', () => {
    const csv = invitationsCsv([item('=HYPERLINK("x")')], 'https://fg.example');
    const [header, row] = csv.trim().split('\r\n');
    expect(header).toBe('badge,firstName,lastName,email,link,expiresAt');
    expect(row).toBe(
      `E-1,"'=HYPERLINK(""x"")","Lee, Jr",,https://fg.example/enrol/abc,2026-01-08T00:00:00.000Z`,
    );
  });
});
