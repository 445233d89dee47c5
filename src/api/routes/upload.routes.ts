import { Type } from 'typebox';
import { isFacegateError } from '../../domain/errors.js';
import { toDecisionDto } from '../dto/decision.dto.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { DecisionDto } from '../schemas/face.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

const UploadTicketRequest = Type.Object(
  {
    contentType: Type.Union([
      Type.Literal('image/jpeg'),
      Type.Literal('image/png'),
      Type.Literal('image/webp'),
    ]),
  },
  { additionalProperties: false },
);

const UploadTicketDto = Type.Object(
  {
    url: Type.String({ description: 'PUT the photo here, with exactly `headers`' }),
    headers: Type.Record(Type.String(), Type.String()),
    key: Type.String({ description: 'Then authenticate with this key' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const UploadedProbe = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 128, pattern: '^probes/' }) },
  { additionalProperties: false },
);

const NOT_CONFIGURED =
  'Only where photos live in S3 with a validation bucket (the serverless deployment); elsewhere ' +
  '`404 UPLOADS_NOT_CONFIGURED`.';

/** The upload flow: `POST /v1/uploads` (a presigned PUT) and `POST /v1/authenticate/upload` (the uploaded key). */
export function uploadRoutes(app: TypedApp, { ctx, metrics, imageGate }: RouteDeps): void {
  const { probeUploads, livenessLogin } = ctx;

  app.post(
    '/v1/uploads',
    {
      config: { permission: 'faces:identify' },
      schema: {
        tags: ['face login'],
        summary: 'An upload ticket: a presigned PUT for one probe photo, valid for 60 seconds',
        description: NOT_CONFIGURED,
        security: SECURED,
        body: UploadTicketRequest,
        response: { 201: UploadTicketDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ticket = await probeUploads.issue(actorOf(request), request.body.contentType);
      return reply.code(201).send(ticket);
    },
  );

  app.post(
    '/v1/authenticate/upload',
    {
      config: { permission: 'faces:identify', imageWork: true },
      schema: {
        tags: ['face login'],
        summary: 'Who is this? The photo uploaded with a ticket → match / no_match / retry',
        description: `Same answer as \`POST /v1/authenticate\` with one photo (liveness mode \`off\` only). ${NOT_CONFIGURED}`,
        security: SECURED,
        body: UploadedProbe,
        response: { 200: DecisionDto, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const photo = await probeUploads.take(actor, request.body.key);
      try {
        const login = await imageGate.run(() => livenessLogin.authenticate(actor, { photo }));
        metrics.observeDecision('authenticate', login.result);
        return toDecisionDto(actor, login);
      } catch (error) {
        if (isFacegateError(error)) metrics.observeRefusal('authenticate', error.code);
        throw error;
      }
    },
  );
}
