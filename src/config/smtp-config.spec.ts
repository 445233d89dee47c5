import { describe, expect, it } from 'vitest';
import { type FacegateConfig, loadConfig, smtpProblems } from './config.js';

function check(env: FacegateConfig['env'], smtpUrl?: string, from?: string): string[] {
  return smtpProblems({ env, mail: { smtpUrl, from, publicUrl: 'https://gate.example.com' } });
}

describe('SMTP settings', () => {
  it('is off when unset, and refuses a sender without a URL', () => {
    expect(check('production')).toEqual([]);
    expect(check('production', undefined, 'gate@example.com')).toHaveLength(1);
  });

  it('needs a sender address and an smtp:// or smtps:// URL', () => {
    expect(check('production', 'smtps://mail.example.com')).toHaveLength(1);
    expect(check('production', 'smtps://mail.example.com', 'nobody')).toHaveLength(1);
    expect(check('production', 'http://mail.example.com', 'gate@example.com')).toHaveLength(1);
    expect(check('production', 'smtps://u:p@mail.example.com', 'Gate <gate@example.com>')).toEqual([]);
  });

  it('refuses plain smtp:// to a remote host outside development unless STARTTLS is required', () => {
    expect(check('production', 'smtp://mail.example.com:587', 'gate@example.com')).toHaveLength(1);
    expect(check('test', 'smtp://mail.example.com:587', 'gate@example.com')).toHaveLength(1);
    expect(check('production', 'smtp://mail.example.com:587?requireTLS=true', 'gate@example.com')).toEqual(
      [],
    );
    expect(check('production', 'smtp://127.0.0.1:25', 'gate@example.com')).toEqual([]);
    expect(check('production', 'smtp://localhost:25', 'gate@example.com')).toEqual([]);
    expect(check('development', 'smtp://mail.example.com:25', 'gate@example.com')).toEqual([]);
  });

  it('makes links absolute with FACEGATE_PUBLIC_URL, else the first WebAuthn origin', () => {
    const env = {
      NODE_ENV: 'test',
      FACEGATE_SMTP_URL: 'smtp://127.0.0.1:25',
      FACEGATE_SMTP_FROM: 'g@example.com',
    };
    expect(loadConfig({ ...env, FACEGATE_PUBLIC_URL: 'https://gate.example.com/' }).mail.publicUrl).toBe(
      'https://gate.example.com',
    );
    expect(
      loadConfig({
        ...env,
        FACEGATE_WEBAUTHN_ORIGIN: 'https://a.example.com,https://b.example.com',
        FACEGATE_WEBAUTHN_RP_ID: 'example.com',
      }).mail.publicUrl,
    ).toBe('https://a.example.com');
    expect(() => loadConfig({ ...env, FACEGATE_SMTP_URL: 'smtp://mail.example.com' })).toThrow(/requireTLS/);
  });
});
