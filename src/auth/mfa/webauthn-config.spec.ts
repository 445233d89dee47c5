import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(FacegateError);
    return ((error as FacegateError).details as { problems: string[] }).problems;
  }
}

describe('WebAuthn relying-party settings', () => {
  it('default to localhost on the configured port', () => {
    expect(loadConfig({ NODE_ENV: 'test', FACEGATE_PORT: '8080' }).webauthn).toEqual({
      rpId: 'localhost',
      origins: ['http://localhost:8080'],
      rpName: 'facegate',
    });
  });

  it('derive from the public URL', () => {
    const config = loadConfig({ NODE_ENV: 'test', FACEGATE_PUBLIC_URL: 'https://gate.example.com/app/' });
    expect(config.webauthn).toMatchObject({
      rpId: 'gate.example.com',
      origins: ['https://gate.example.com'],
    });
  });

  it('take several origins under one parent RP id', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      FACEGATE_WEBAUTHN_ORIGIN: 'https://kiosk.example.com, https://admin.example.com:8443',
      FACEGATE_WEBAUTHN_RP_ID: 'Example.com',
    });
    expect(config.webauthn).toMatchObject({
      rpId: 'example.com',
      origins: ['https://kiosk.example.com', 'https://admin.example.com:8443'],
    });
  });

  it('refuse an RP id that is not the host or a parent of every origin, and non-http origins', () => {
    expect(
      problems({
        FACEGATE_WEBAUTHN_ORIGIN: 'https://gate.example.com',
        FACEGATE_WEBAUTHN_RP_ID: 'other.com',
      }),
    ).toEqual([expect.stringContaining('FACEGATE_WEBAUTHN_RP_ID')]);
    expect(
      problems({ FACEGATE_WEBAUTHN_RP_ID: 'ample.com', FACEGATE_WEBAUTHN_ORIGIN: 'https://example.com' }),
    ).toHaveLength(1);
    expect(problems({ FACEGATE_WEBAUTHN_ORIGIN: 'ftp://gate.example.com' })).toEqual([
      expect.stringContaining('FACEGATE_WEBAUTHN_ORIGIN'),
    ]);
  });
});
