import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { MemoryOneTimeStore } from './one-time-store.js';
import { CEREMONY_TIMEOUT_MS, PasskeyCeremony } from './passkey-ceremony.js';
import { SoftAuthenticator } from './testing/soft-authenticator.js';

const rp = { rpId: 'localhost', origins: ['http://localhost:3000'], rpName: 'facegate' };
const user = { handle: 'employee:e1', name: 'B-1', displayName: 'Ada Lovelace' };

function setup() {
  let now = new Date('2026-03-01T10:00:00Z');
  const clock = () => now;
  const ceremony = new PasskeyCeremony(rp, new MemoryOneTimeStore<string>(clock), clock);
  return { ceremony, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

async function reason(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFacegateError(error, 'SECOND_FACTOR_FAILED')).toBe(true);
  return isFacegateError(error) ? error.details?.reason : undefined;
}

describe('PasskeyCeremony', () => {
  it('registers a software authenticator and verifies its assertion', async () => {
    const { ceremony } = setup();
    const device = new SoftAuthenticator({ origin: rp.origins[0] ?? '' });
    const options = await ceremony.registrationOptions('k', user, [], 'required');
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    const credential = await ceremony.verifyRegistration('k', device.register(options), 'required');
    expect(credential.credentialId).toBe(device.credentialId.toString('base64url'));
    expect(credential.multiDevice).toBe(false);

    const request = await ceremony.assertionOptions([credential], 'required');
    expect(request.allowCredentials?.map((c) => c.id)).toEqual([credential.credentialId]);
    const verified = await ceremony.verifyAssertion(
      device.assert(request, rp.rpId),
      request.challenge,
      credential,
      'required',
    );
    expect(verified.newCounter).toBe(2);
  });

  it('uses a registration challenge once', async () => {
    const { ceremony } = setup();
    const device = new SoftAuthenticator({ origin: rp.origins[0] ?? '' });
    const options = await ceremony.registrationOptions('k', user, [], 'preferred');
    const response = device.register(options);
    await ceremony.verifyRegistration('k', response, 'preferred');
    expect(await reason(ceremony.verifyRegistration('k', response, 'preferred'))).toBe('CHALLENGE_EXPIRED');
  });

  it('refuses a registration after the challenge expired', async () => {
    const { ceremony, advance } = setup();
    const device = new SoftAuthenticator({ origin: rp.origins[0] ?? '' });
    const options = await ceremony.registrationOptions('k', user, [], 'preferred');
    advance(CEREMONY_TIMEOUT_MS + 1);
    expect(await reason(ceremony.verifyRegistration('k', device.register(options), 'preferred'))).toBe(
      'CHALLENGE_EXPIRED',
    );
  });

  it('refuses another origin, and an unverified user when verification is required', async () => {
    const { ceremony } = setup();
    const device = new SoftAuthenticator({ origin: 'https://evil.example' });
    const options = await ceremony.registrationOptions('k', user, [], 'preferred');
    expect(await reason(ceremony.verifyRegistration('k', device.register(options), 'preferred'))).toBe(
      'REGISTRATION_INVALID',
    );
    const lazy = new SoftAuthenticator({ origin: rp.origins[0] ?? '', userVerified: false });
    const again = await ceremony.registrationOptions('k', user, [], 'required');
    expect(await reason(ceremony.verifyRegistration('k', lazy.register(again), 'required'))).toBe(
      'REGISTRATION_INVALID',
    );
  });

  it('refuses an assertion over another challenge or with a counter that did not grow', async () => {
    const { ceremony } = setup();
    const device = new SoftAuthenticator({ origin: rp.origins[0] ?? '' });
    const options = await ceremony.registrationOptions('k', user, [], 'preferred');
    const credential = await ceremony.verifyRegistration('k', device.register(options), 'preferred');
    const request = await ceremony.assertionOptions([credential], 'preferred');
    const other = await ceremony.assertionOptions([credential], 'preferred');
    const assertion = device.assert(request, rp.rpId);
    expect(await reason(ceremony.verifyAssertion(assertion, other.challenge, credential, 'preferred'))).toBe(
      'ASSERTION_INVALID',
    );
    const used = { ...credential, counter: device.counter };
    expect(await reason(ceremony.verifyAssertion(assertion, request.challenge, used, 'preferred'))).toBe(
      'ASSERTION_INVALID',
    );
  });

  it('marks a synced passkey as multi-device', async () => {
    const { ceremony } = setup();
    const device = new SoftAuthenticator({ origin: rp.origins[0] ?? '', synced: true, counts: false });
    const options = await ceremony.registrationOptions('k', user, [], 'preferred');
    const credential = await ceremony.verifyRegistration('k', device.register(options), 'preferred');
    expect(credential).toMatchObject({ multiDevice: true, counter: 0 });
  });
});
