import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import { WELCOME_PHOTO_TTL_SECONDS, WelcomePhotoPasses } from './welcome-photo-pass.js';

const kiosk = (id: string): Actor => ({ type: 'api_key', id, role: 'kiosk', name: id, ip: null });
const hash = (data: string) => createHmac('sha256', 'test key').update(data).digest('hex');

function setup() {
  let now = new Date('2026-11-26T12:00:00Z');
  const passes = new WelcomePhotoPasses(hash, () => now);
  const pass = { employeeId: randomUUID(), photoId: randomUUID() };
  return {
    passes,
    pass,
    later: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isFacegateError(error) ? error.code : 'not a FacegateError';
  }
  return undefined;
}

describe('WelcomePhotoPasses', () => {
  it('opens a pass for the caller it was issued to, within the time limit', () => {
    const { passes, pass, later } = setup();
    const token = passes.issue(kiosk('k1'), pass);
    expect(token.length).toBeLessThan(100);
    later(WELCOME_PHOTO_TTL_SECONDS - 1);
    expect(passes.open(kiosk('k1'), token)).toEqual(pass);
  });

  it('refuses another caller, an expired pass and any tampering', () => {
    const { passes, pass, later } = setup();
    const token = passes.issue(kiosk('k1'), pass);
    expect(refusal(() => passes.open(kiosk('k2'), token))).toBe('FORBIDDEN');
    expect(refusal(() => passes.open({ ...kiosk('k1'), type: 'user' }, token))).toBe('FORBIDDEN');
    const [body, mac] = token.split('.') as [string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    for (const bad of [
      `${bytes.toString('base64url')}.${mac}`,
      `${body}.${mac.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`,
      body,
      `${body}.${mac}.x`,
      `${Buffer.alloc(10).toString('base64url')}.${hash(`${Buffer.alloc(10).toString('base64url')}|api_key:k1`).slice(0, 32)}`,
      '',
    ]) {
      expect(
        refusal(() => passes.open(kiosk('k1'), bad)),
        bad,
      ).toBe('FORBIDDEN');
    }
    later(WELCOME_PHOTO_TTL_SECONDS);
    expect(refusal(() => passes.open(kiosk('k1'), token))).toBe('FORBIDDEN');
  });
});
