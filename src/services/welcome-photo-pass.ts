import { safeEqual } from '../auth/secrets.js';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';

/** How long a welcome-photo URL stays valid after the match that issued it. */
export const WELCOME_PHOTO_TTL_SECONDS = 30;

/** What a pass lets its holder read: one kept photo of the employee just matched. */
export interface WelcomePhotoPass {
  employeeId: string;
  photoId: string;
}

const uuidBytes = (id: string): Buffer => {
  if (!isUuid(id)) throw new FacegateError('INTERNAL', 'Welcome photo pass needs uuid ids');
  return Buffer.from(id.replaceAll('-', ''), 'hex');
};

const uuidOf = (bytes: Buffer): string => {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const callerOf = (actor: Actor): string => `${actor.type}:${actor.id}`;

/**
 * Short-lived, signed URL tokens for the kiosk welcome photo. A kiosk holds no photo-read permission; a match
 * answer may carry one pass, bound to the caller that got the match, to that employee's photo, and to
 * {@link WELCOME_PHOTO_TTL_SECONDS}. A token is `base64url(employee id | photo id | expiry)` and a 128-bit keyed
 * hash (a subkey of the data key, so every API node sharing the data key accepts it) over it and the caller.
 */
export class WelcomePhotoPasses {
  constructor(
    private readonly keyedHash: (data: string) => string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A token for `pass`, usable only by `actor` until the TTL runs out. */
  issue(actor: Actor, pass: WelcomePhotoPass): string {
    const expiry = Buffer.alloc(4);
    expiry.writeUInt32BE(Math.floor(this.now().getTime() / 1000) + WELCOME_PHOTO_TTL_SECONDS);
    const body = Buffer.concat([uuidBytes(pass.employeeId), uuidBytes(pass.photoId), expiry]).toString(
      'base64url',
    );
    return `${body}.${this.mac(body, actor)}`;
  }

  /** Checks signature, caller and expiry; throws `FORBIDDEN` for anything else than a live pass of `actor`. */
  open(actor: Actor, token: string): WelcomePhotoPass {
    const refused = () => new FacegateError('FORBIDDEN', 'This photo link is invalid or has expired');
    const [body, mac, ...rest] = token.split('.');
    // The caller is part of the signed data: another kiosk key (or a user) cannot reuse the link.
    if (!body || !mac || rest.length > 0 || !safeEqual(mac, this.mac(body, actor))) throw refused();
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length !== 36) throw refused();
    if (this.now().getTime() / 1000 >= bytes.readUInt32BE(32)) throw refused();
    return { employeeId: uuidOf(bytes.subarray(0, 16)), photoId: uuidOf(bytes.subarray(16, 32)) };
  }

  private mac(body: string, actor: Actor): string {
    return this.keyedHash(`${body}|${callerOf(actor)}`).slice(0, 32);
  }
}
