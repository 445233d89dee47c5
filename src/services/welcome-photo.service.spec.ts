import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SettingsService } from '../auth/settings.service.js';
import { type Actor, type Role, rolePolicy } from '../domain/access.js';
import { EnrollmentService, toEmployeeRef } from './enrollment.service.js';
import type { MatchResult } from './identification.service.js';
import { fakeDeps, vec } from './testing/fake-ports.js';
import { WelcomePhotoService } from './welcome-photo.service.js';
import { WelcomePhotoPasses } from './welcome-photo-pass.js';

const cli: Actor = { type: 'cli', id: 'tester' };
const caller = (id: string, role: Role = 'kiosk'): Actor => ({
  type: 'api_key',
  id,
  role,
  name: id,
  ip: null,
});

function match(decision: MatchResult['decision']): MatchResult {
  return {
    decision,
    score: 0.9,
    threshold: 0.4,
    preset: 'balanced',
    margin: 0.05,
    secondBest: null,
    engine: { model: 'm', version: '1' },
    timings: { total: 1 },
  };
}

async function setup() {
  const deps = fakeDeps();
  const enrollment = new EnrollmentService(deps);
  const photos = new Map<string, Uint8Array>();
  const enroll = async (badge: string, seed: number) => {
    photos.set(badge, deps.engine.define(badge, { embedding: vec(seed) }));
    const enrolled = await enrollment.enrollByBadge(
      { badge, firstName: badge, lastName: 'Welcome' },
      [{ bytes: photos.get(badge) ?? new Uint8Array() }],
      cli,
    );
    expect(enrolled.added).toBe(1);
    return enrolled;
  };
  const ada = await enroll('ADA', 0);
  const settings = new SettingsService({ policy: rolePolicy, store: deps.store, config: deps.config });
  let answer = { result: match('match'), employee: toEmployeeRef(ada.employee!) };
  const service = new WelcomePhotoService({
    store: deps.store,
    blobs: deps.blobs,
    policy: rolePolicy,
    faceLogin: { authenticate: async () => answer, verify: async () => answer },
    settings,
    passes: new WelcomePhotoPasses((data) => createHmac('sha256', 'k').update(data).digest('hex')),
  });
  const admin = caller('root', 'admin');
  return {
    photos,
    ada,
    service,
    enroll,
    answer: (next: typeof answer) => {
      answer = next;
    },
    settings: (patch: { kioskShowPhoto?: boolean; keepPhotos?: boolean }) => settings.patch(admin, patch),
  };
}

describe('WelcomePhotoService', () => {
  it('offers a pass on a match only while kiosk.showPhoto is on, and opens it for that caller only', async () => {
    const s = await setup();
    const door = caller('door');
    expect((await s.service.authenticate(door, new Uint8Array())).photoPass).toBeUndefined();
    await s.settings({ kioskShowPhoto: true });
    const pass = (await s.service.verify(door, 'ADA', new Uint8Array())).photoPass ?? '';
    expect(pass).not.toBe('');
    const photo = await s.service.open(door, pass);
    expect(photo).toEqual({ bytes: s.photos.get('ADA'), contentType: 'image/jpeg' });
    await expect(s.service.open(caller('back door'), pass)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(s.service.open(caller('door', 'auditor'), pass)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('offers none without a match, without a kept photo, or to a caller that may not open it', async () => {
    const s = await setup();
    await s.settings({ kioskShowPhoto: true });
    expect((await s.service.authenticate(caller('auditor', 'auditor'), new Uint8Array())).photoPass).toBe(
      undefined,
    );
    s.answer({ result: match('no_match'), employee: toEmployeeRef(s.ada.employee!) });
    expect((await s.service.authenticate(caller('door'), new Uint8Array())).photoPass).toBeUndefined();
    await s.settings({ keepPhotos: false });
    const bob = await s.enroll('BOB', 1);
    s.answer({ result: match('match'), employee: toEmployeeRef(bob.employee!) });
    expect((await s.service.authenticate(caller('door'), new Uint8Array())).photoPass).toBeUndefined();
  });
});
