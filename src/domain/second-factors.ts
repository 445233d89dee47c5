/** Second factors (MFA) as stored: what a person has or knows, checked after the face or the password. */

/** Kinds of second factor. `recovery` codes stand in for a lost TOTP app or passkey, once each. */
export type FactorKind = 'totp' | 'webauthn' | 'pin' | 'recovery';

/** Whose factor: an employee (after a face match) or an admin console user (after the password). */
export interface FactorSubject {
  type: 'employee' | 'user';
  id: string;
}

/** `pending` until the first valid use confirms enrolment; only `active` factors count. */
export type FactorStatus = 'pending' | 'active';

/** A stored WebAuthn credential (public key material only). */
export interface PasskeyCredential {
  /** base64url credential id, unique across the store. */
  credentialId: string;
  /** COSE public key. */
  publicKey: Uint8Array;
  /** Signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  transports: string[];
  /** Whether the credential may be synced between devices (AMR `swk`) or is bound to one (`hwk`). */
  multiDevice: boolean;
}

/** One second factor of one subject. */
export interface SecondFactor {
  id: string;
  subject: FactorSubject;
  kind: FactorKind;
  status: FactorStatus;
  /** Shown to people (e.g. "YubiKey 5", "phone"); for recovery codes, the code's first group (lookup only). */
  label: string | null;
  /** TOTP shared secret in base32; encrypted at rest by the store. Null for other kinds. */
  secret: string | null;
  /** Argon2id hash of a PIN or recovery code. Null for other kinds. */
  secretHash: string | null;
  passkey: PasskeyCredential | null;
  /** Last TOTP time step accepted, so a code is never accepted twice. */
  lastUsedStep: number | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Fields a caller supplies to add a factor. */
export type NewSecondFactor = Pick<SecondFactor, 'id' | 'subject' | 'kind' | 'status'> &
  Partial<Pick<SecondFactor, 'label' | 'secret' | 'secretHash' | 'passkey' | 'lastUsedStep'>>;
