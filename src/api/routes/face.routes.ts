import { Type } from 'typebox';
import type { FaceLoginResult } from '../../auth/face-login.service.js';
import type { AuthenticatedActor as Actor, Actor as ServiceActor } from '../../domain/access.js';
import { FacegateError, isFacegateError } from '../../domain/errors.js';
import { toDecisionDto } from '../dto/decision.dto.js';
import { readImages } from '../image-input.js';
import { sendPhoto } from '../photo-reply.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { DecisionDto, JwksDto, VerifyQuery } from '../schemas/face.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Reads the one photo a welcome pass names; the pass, not a role permission, is what allows it. */
const WELCOME_PHOTO_READER: ServiceActor = { type: 'system', id: 'welcome-photo' };

const IMAGE_BODY =
  'The photo as `multipart/form-data` (one file part, any field name) or as a raw `image/jpeg|png|webp` body.';

/** Face login: `POST /v1/authenticate` (1:N), `POST /v1/verify` (1:1) and the JWKS of the token signer. */
export function faceRoutes(app: TypedApp, { ctx, metrics, imageGate }: RouteDeps): void {
  const { faceLogin, tokens, settings } = ctx.auth;

  /** Link to the matched employee's first kept photo, when the `kiosk.showPhoto` setting is on. */
  const welcomePhotoUrl = async (actor: Actor, login: FaceLoginResult): Promise<string | undefined> => {
    if (login.result.decision !== 'match' || !login.employee) return undefined;
    if (!(await settings.current()).kioskShowPhoto) return undefined;
    const employeeId = login.employee.id;
    const summary = (await ctx.employees.faceSummaries([employeeId], WELCOME_PHOTO_READER)).get(employeeId);
    if (!summary?.firstPhotoTemplateId) return undefined;
    const token = ctx.welcomePhotos.issue(actor, { employeeId, photoId: summary.firstPhotoTemplateId });
    return `/v1/welcome-photo/${token}`;
  };

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
      const { images } = await readImages(request, 1);
      try {
        const login = await imageGate.run(() => faceLogin.authenticate(actor, images[0]!.bytes));
        metrics.observeDecision('authenticate', login.result);
        return toDecisionDto(actor, login, { photoUrl: await welcomePhotoUrl(actor, login) });
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
      const { images, fields } = await readImages(request, 1);
      const claimed = (fields.employee ?? request.query.employee ?? '').trim();
      if (claimed === '' || claimed.length > 64) {
        throw new FacegateError('VALIDATION_FAILED', 'employee (id or badge) is required');
      }
      try {
        const login = await imageGate.run(() => faceLogin.verify(actor, claimed, images[0]!.bytes));
        metrics.observeDecision('verify', login.result);
        return toDecisionDto(actor, login, { photoUrl: await welcomePhotoUrl(actor, login) });
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
    async (request, reply) => {
      const pass = ctx.welcomePhotos.open(actorOf(request), request.params.token);
      return sendPhoto(
        reply,
        await ctx.employees.getPhoto(pass.employeeId, pass.photoId, WELCOME_PHOTO_READER),
      );
    },
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
