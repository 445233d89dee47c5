import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  createUser,
  enrollEmployee,
  imagePost,
  login,
  openStaffedApi,
  type StaffedApi,
} from '../api/api-test-kit.js';
import { listen } from './http-kit.js';

/**
 * Similarity scores are a hill-climbing oracle: whoever sees how close a forged face came can improve it. An
 * auditor reads the audit log through every door it has (the list and both export formats) looking for them.
 */

let api: StaffedApi;
let base: string;
let viewers: Record<'admin' | 'auditor', Record<string, string>>;

/** Score-like keys anywhere in a JSON value. */
function scoreKeys(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(/score|threshold|secondbest|margin|similarity/i.test(key) && item !== null ? [`${path}${key}`] : []),
    ...scoreKeys(item, `${path}${key}.`),
  ]);
}

beforeAll(async () => {
  api = await openStaffedApi();
  base = await listen(api);
  const alice = await faceCrop('s1-0');
  await enrollEmployee(api, api.admin, { badge: 'A-1', firstName: 'Alice', lastName: 'Aalto' }, alice);
  await enrollEmployee(
    api,
    api.admin,
    { badge: 'B-1', firstName: 'Beth', lastName: 'Berg' },
    await faceCrop('s2-0'),
  );
  // A match (score, threshold, second best) and a stranger's no_match.
  for (const photo of [await transform(alice, 'recompress'), await faceCrop('s5-0')]) {
    const res = await api.server.inject(imagePost('/v1/authenticate', photo, api.kiosk));
    expect(res.statusCode).toBe(200);
  }
  await createUser(api, api.adminToken, 'audrey', 'auditor');
  viewers = { admin: api.admin, auditor: bearer(await login(api, 'audrey')) };
});
afterAll(async () => {
  await api?.close();
});

/** The audit records of face decisions as a viewer reads them through one door. */
async function readAudit(
  viewer: Record<string, string>,
  door: string,
): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${base}${door}`, { headers: viewer });
  expect(res.status).toBe(200);
  const text = await res.text();
  if (door.includes('format=csv')) {
    const [header, ...rows] = text.trim().split('\n');
    const columns = header!.split(',');
    // The score and threshold columns; `details` (last, JSON) is checked through the JSON doors.
    return rows.map((row) => {
      const cells = row.split(',');
      return {
        score: cells[columns.indexOf('score')] || null,
        threshold: cells[columns.indexOf('threshold')] || null,
      };
    });
  }
  if (door.includes('format=jsonl'))
    return text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  return (JSON.parse(text) as { items: Array<Record<string, unknown>> }).items;
}

describe('scores in the audit log', () => {
  const DOORS = [
    '/v1/audit?action=authenticate',
    '/v1/audit/export?action=authenticate&format=jsonl',
    '/v1/audit/export?action=authenticate&format=csv',
  ];

  it.each(DOORS)(
    'an auditor reading %s sees decisions but no score, threshold or second best',
    async (door) => {
      const events = await readAudit(viewers.auditor, door);
      expect(events.length).toBe(2);
      for (const event of events) {
        expect(scoreKeys(event)).toEqual([]);
      }
    },
  );

  it.each(DOORS)('an admin reading %s still sees them', async (door) => {
    const events = await readAudit(viewers.admin, door);
    expect(events.length).toBe(2);
    expect(events.some((e) => scoreKeys(e).includes('score'))).toBe(true);
    expect(events.every((e) => scoreKeys(e).includes('threshold'))).toBe(true);
    if (!door.includes('csv'))
      expect(events.some((e) => scoreKeys(e).includes('details.secondBest'))).toBe(true);
  });
});
