import { Type } from 'typebox';
import { FacegateError, isFacegateError } from '../../domain/errors.js';
import type { LivenessLogin } from '../../services/liveness-login.service.js';
import type { WelcomedLogin } from '../../services/welcome-photo.service.js';
import { at } from '../../util/checked-access.js';
import { toDecisionDto } from '../dto/decision.dto.js';
import { sendPhoto } from '../photo-reply.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { DecisionDto, JwksDto, VerifyQuery } from '../schemas/face.schema.js';
import { readFaceLogin, toLivenessDto } from './liveness.routes.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** The link of a welcome-photo pass (`GET /v1/welcome-photo/{token}`). */
const photoUrlOf = (login: WelcomedLogin): string | undefined =>
  login.photoPass ? `/v1/welcome-photo/${login.photoPass}` : undefined;

const IMAGE_BODY =
  'The photo as `multipart/form-data` (one file part, any field name) or as a raw image body (`image/jpeg`, `image/png`, ' +
  '`image/webp`, `image/gif` or `application/octet-stream`; the bytes are sniffed, JPEG, PNG, WebP and GIF are read) — ' +
  'only where the liveness mode is `off` (else `LIVENESS_REQUIRED`). Under `challenge`: multipart `challengeId`, ' +
  '`nonce`, 4–12 `frames` parts in capture order and `timestamps` (JSON array of epoch milliseconds); with Rekognition ' +
  'Face Liveness (`provider: rekognition`), a JSON body `{"challengeId"}` once the browser has streamed the session.';

/** A face-login answer as this caller may see it, with the liveness outcome when a challenge was answered. */
function toLoginDto(actor: Parameters<typeof toDecisionDto>[0], login: LivenessLogin) {
  return {
    ...toDecisionDto(actor, login, { photoUrl: photoUrlOf(login) }),
    ...(login.liveness ? { liveness: toLivenessDto(actor, login.liveness) } : {}),
  };
}

/** Face login: `POST /v1/authenticate` (1:N), `POST /v1/verify` (1:1) and the JWKS of the token signer. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function faceRoutes(app: TypedApp, { ctx, metrics, imageGate }: RouteDeps): void {
  const { welcomePhotos, livenessLogin } = ctx;
  const { tokens } = ctx.auth;

  app.post(
    '/v1/authenticate',
    {
      config: { permission: 'faces:identify', imageWork: true },
      schema: {
        tags: ['face login'],
        summary: 'Who is this? Photo → match / no_match / retry, with a signed token on match',
        description: IMAGE_BODY,
        security: SECURED,
        response: { 200: DecisionDto, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { input } = await readFaceLogin(request, ctx.liveness.kind === 'rekognition');
      try {
        const login = await imageGate.run(() => livenessLogin.authenticate(actor, input));
        metrics.observeDecision('authenticate', login.result, login.secondFactor !== undefined);
        return toLoginDto(actor, login);
      } catch (error) {
        if (isFacegateError(error)) metrics.observeRefusal('authenticate', error.code);
        throw error;
      }
    },
  );

  app.post(
    '/v1/verify',
    {
      config: { permission: 'faces:verify', imageWork: true },
      schema: {
        tags: ['face login'],
        summary: 'Is this the claimed employee? Badge or id + photo → match / no_match / retry',
        description: `${IMAGE_BODY} The claimed employee (id or badge) comes as the \`employee\` multipart field or query parameter.`,
        security: SECURED,
        querystring: VerifyQuery,
        response: { 200: DecisionDto, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { input, employee } = await readFaceLogin(request, ctx.liveness.kind === 'rekognition');
      const claimed = (employee ?? request.query.employee ?? '').trim();
      if (claimed === '' || claimed.length > 64) {
        throw new FacegateError('VALIDATION_FAILED', 'employee (id or badge) is required');
      }
      try {
        const login = await imageGate.run(() => livenessLogin.verify(actor, claimed, input));
        metrics.observeDecision('verify', login.result, login.secondFactor !== undefined);
        return toLoginDto(actor, login);
      } catch (error) {
        if (isFacegateError(error)) metrics.observeRefusal('verify', error.code);
        throw error;
      }
    },
  );

  app.get(
    '/v1/welcome-photo/:token',
    {
      config: { permission: 'faces:identify' },
      schema: {
        tags: ['face login'],
        summary: "The matched employee's photo for the kiosk welcome (link from a match answer)",
        description:
          'Only with the credentials that received the match, and only for a short time; there is no general ' +
          'photo-read permission for kiosks.',
        security: SECURED,
        params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 1024 }) }),
        response: { 200: Type.Unknown({ description: 'The image bytes' }), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendPhoto(reply, await welcomePhotos.open(actorOf(request), request.params.token)),
  );

  app.get(
    '/v1/.well-known/jwks.json',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['face login'],
        summary: 'Public keys that verify face-login tokens',
        response: { 200: JwksDto },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return tokens.jwks() as Promise<{ keys: Record<string, unknown>[] }>;
    },
  );
}
