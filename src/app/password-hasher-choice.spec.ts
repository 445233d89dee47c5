import { describe, expect, it, vi } from 'vitest';
import { openPasswordHasher } from './adapters.js';

// As inside the Lambda bundle: the native package is there as a stub that throws when used.
vi.mock('@node-rs/argon2', () => {
  const absent = () => {
    throw new Error('This package is not part of the Lambda bundle');
  };
  return { hash: absent, verify: absent };
});

const warnings: string[] = [];
const logger = {
  info: () => {},
  error: () => {},
  warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
};

describe('the composition root chooses the password hasher', () => {
  it('falls back to WebAssembly, with a warning, where the native Argon2 cannot run', async () => {
    const hasher = await openPasswordHasher(undefined, logger);
    expect(hasher.kind).toBe('wasm');
    expect(warnings).toEqual([expect.stringMatching(/WebAssembly/)]);
    expect(await hasher.verify(await hasher.hash('a long enough password'), 'a long enough password')).toBe(
      true,
    );
  });

  it('takes WebAssembly when asked (the AWS app) without trying the native one', async () => {
    warnings.length = 0;
    expect((await openPasswordHasher('wasm', logger)).kind).toBe('wasm');
    expect(warnings).toEqual([]);
  });

  it('refuses to start when the native one is asked for and cannot run', async () => {
    await expect(openPasswordHasher('native', logger)).rejects.toThrow(/not part of the Lambda bundle/);
  });
});
