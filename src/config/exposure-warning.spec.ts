import { describe, expect, it } from 'vitest';
import {
  developmentExposureWarning,
  isLoopbackHost,
  warnIfExposedInDevelopment,
} from './exposure-warning.js';

describe('development exposure warning', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '192.168.1.10', 'fd00::1', 'kiosk.example.com', '::ffff:10.0.0.1'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );

  it('warns about development keys, the cookie and HSTS when not production on a non-loopback address', () => {
    for (const env of ['development', 'test'] as const) {
      const warning = developmentExposureWarning({ env, host: '0.0.0.0' });
      expect(warning).toContain(`${env} mode on 0.0.0.0`);
      expect(warning).toMatch(/development keys/);
      expect(warning).toMatch(/without Secure/);
      expect(warning).toMatch(/no HSTS/);
    }
  });

  it('stays quiet in production and on loopback', () => {
    expect(developmentExposureWarning({ env: 'production', host: '0.0.0.0' })).toBeUndefined();
    expect(developmentExposureWarning({ env: 'development', host: '127.0.0.1' })).toBeUndefined();
  });

  it('prints it once, only when there is one', () => {
    const written: string[] = [];
    warnIfExposedInDevelopment({ env: 'development', host: '::' }, (t) => written.push(t));
    warnIfExposedInDevelopment({ env: 'development', host: 'localhost' }, (t) => written.push(t));
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('WARNING');
  });
});
