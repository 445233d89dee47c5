/**
 * The enrolment page's calls, through the typed client: every one authorised by the invitation link's token
 * alone; paths and shapes come from the OpenAPI document.
 */
import { answerForm, type TimedFrame } from '../kiosk/kiosk-liveness.js';
import { api, asIs, ok } from '../shared/api.js';
import type { JsonAnswer } from '../shared/api-types.js';
import type { ChallengeDto, LivenessAction } from '../shared/liveness-types.js';

/** `GET /v1/enrol/{token}`. */
export type EnrolmentPage = JsonAnswer<'/v1/enrol/{token}', 'get'>;

/** `POST /v1/enrol/{token}/submission`. */
export type SubmitResult = JsonAnswer<'/v1/enrol/{token}/submission', 'post'>;

/** One capture's outcome. */
export type CaptureResult = SubmitResult['photos'][number];

/** `POST /v1/enrol/{token}/liveness`. */
export type LivenessResult = JsonAnswer<'/v1/enrol/{token}/liveness', 'post'>;

/** The token of the page's own link (`/enrol/<token>`), or null. */
export function tokenOfLocation(pathname: string): string | null {
  const match = /^\/enrol\/([A-Za-z0-9_-]{16,64})\/?$/.exec(pathname);
  return match?.[1] ?? null;
}

/** The `{token}` path parameter of the link's routes. */
const link = (token: string) => ({ params: { path: { token } } });

/** The calls of the enrolment page, each with the link's token. */
export const enrolApi = {
  open: (token: string): Promise<EnrolmentPage> => ok(api.GET('/v1/enrol/{token}', link(token))),
  consent: async (token: string, version: string): Promise<void> => {
    await ok(api.POST('/v1/enrol/{token}/consent', { ...link(token), body: { version } }));
  },
  challenge: (token: string, exclude: readonly LivenessAction[] = []): Promise<ChallengeDto> =>
    ok(
      api.POST('/v1/enrol/{token}/challenge', {
        ...link(token),
        body: exclude.length > 0 ? { exclude: [...exclude] } : {},
      }),
    ),
  answer: (token: string, challenge: ChallengeDto, frames: readonly TimedFrame[]): Promise<LivenessResult> =>
    ok(
      api.POST('/v1/enrol/{token}/liveness', {
        ...link(token),
        body: {
          challengeId: challenge.id,
          nonce: challenge.nonce,
          frames: frames.map((frame) => frame.blob),
          timestamps: JSON.stringify(frames.map((frame) => frame.at)),
        },
        bodySerializer: asIs(() => answerForm(challenge, frames)),
      }),
    ),
  submit: (token: string, photos: readonly Blob[]): Promise<SubmitResult> => {
    const form = () => {
      const parts = new FormData();
      photos.forEach((photo, i) => {
        parts.append('photos', photo, `capture-${i + 1}.jpg`);
      });
      return parts;
    };
    return ok(
      api.POST('/v1/enrol/{token}/submission', {
        ...link(token),
        body: { photos: [...photos] },
        bodySerializer: asIs(form),
      }),
    );
  },
};
