import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';
import type { PasskeyCredential } from '../../domain/second-factors.js';
import type { UserVerification } from './factor-policy.js';
import type { OneTimeStore } from './one-time-store.js';

/** How long a browser has to finish a ceremony. */
export const CEREMONY_TIMEOUT_MS = 2 * 60_000;

/** Who the new credential belongs to, as the authenticator shows it. */
export interface PasskeyUser {
  /** Opaque, stable handle (never a name or e-mail): the factor subject's id. */
  handle: string;
  name: string;
  displayName: string;
}

/** What a verified assertion says. */
export interface VerifiedAssertion {
  newCounter: number;
  userVerified: boolean;
}

function failed(reason: string, cause?: unknown): FacegateError {
  return new FacegateError(
    'SECOND_FACTOR_FAILED',
    'The passkey could not be verified',
    { reason },
    { cause },
  );
}

/**
 * WebAuthn registration and authentication over @simplewebauthn/server. Registration challenges are held by the
 * server in a {@link OneTimeStore} (single use, expiring); authentication challenges travel inside the step the
 * caller keeps (see the step tokens), so both are server-held and single-use.
 */
export class PasskeyCeremony {
  constructor(
    private readonly rp: WebAuthnConfig,
    private readonly challenges: OneTimeStore<string>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Options for `navigator.credentials.create`; the challenge is kept under `key` (one pending per key). */
  async registrationOptions(
    key: string,
    user: PasskeyUser,
    existing: readonly PasskeyCredential[],
    userVerification: UserVerification,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.name,
      userDisplayName: user.displayName,
      userID: new TextEncoder().encode(user.handle),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification },
    });
    await this.challenges.put(key, options.challenge, this.now().getTime() + CEREMONY_TIMEOUT_MS);
    return options;
  }

  /** Verifies a registration against the challenge kept under `key` (taken, so it works once). */
  async verifyRegistration(
    key: string,
    response: RegistrationResponseJSON,
    userVerification: UserVerification,
  ): Promise<PasskeyCredential> {
    const expectedChallenge = await this.challenges.take(key);
    if (!expectedChallenge) throw failed('CHALLENGE_EXPIRED');
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: userVerification === 'required',
      });
    } catch (error) {
      throw failed('REGISTRATION_INVALID', error);
    }
    if (!result.verified) throw failed('REGISTRATION_INVALID');
    const info = result.registrationInfo;
    return {
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: response.response.transports ?? [],
      multiDevice: info.credentialDeviceType === 'multiDevice',
    };
  }

  /** Options for `navigator.credentials.get` limited to `credentials`; the caller keeps `options.challenge`. */
  async assertionOptions(
    credentials: readonly PasskeyCredential[],
    userVerification: UserVerification,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.rp.rpId,
      allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification,
    });
  }

  /**
   * Verifies an assertion by `credential` over `expectedChallenge`: origin, RP id, signature, user presence, user
   * verification when required, and a signature counter above the stored one (unless both are 0).
   */
  async verifyAssertion(
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
    credential: PasskeyCredential,
    userVerification: UserVerification,
  ): Promise<VerifiedAssertion> {
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        credential: {
          id: credential.credentialId,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports,
        },
        requireUserVerification: userVerification === 'required',
      });
    } catch (error) {
      throw failed('ASSERTION_INVALID', error);
    }
    if (!result.verified) throw failed('ASSERTION_INVALID');
    return {
      newCounter: result.authenticationInfo.newCounter,
      userVerified: result.authenticationInfo.userVerified,
    };
  }
}
