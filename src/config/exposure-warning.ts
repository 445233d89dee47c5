import { isIP } from 'node:net';
import type { FacegateConfig } from './config.js';

/** True when `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * The start-up warning of a development or test server reachable from other machines, or undefined when there is
 * nothing to warn about (production, or a loopback address). Such a server runs with generated development keys,
 * sends its session cookie without `Secure` and sends no HSTS header.
 */
export function developmentExposureWarning(config: Pick<FacegateConfig, 'env' | 'host'>): string | undefined {
  if (config.env === 'production' || isLoopbackHost(config.host)) return undefined;
  const bar = '!'.repeat(78);
  return [
    bar,
    `!! WARNING: facegate runs in ${config.env} mode on ${config.host}, reachable from other machines.`,
    '!! Outside production it accepts generated development keys, its session cookie is sent',
    '!! without Secure, and it sends no HSTS header. Set FACEGATE_ENV=production (with real keys)',
    '!! before exposing it, or listen on 127.0.0.1.',
    bar,
    '',
  ].join('\n');
}

/** Prints {@link developmentExposureWarning} to stderr when there is one (start-up of `facegate serve`). */
export function warnIfExposedInDevelopment(
  config: Pick<FacegateConfig, 'env' | 'host'>,
  write: (text: string) => void = (text) => process.stderr.write(text),
): void {
  const warning = developmentExposureWarning(config);
  if (warning) write(warning);
}
