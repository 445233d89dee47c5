import { Type } from 'typebox';
import type { SubmissionStatus } from '../../domain/enrolment.js';
import { FacegateError } from '../../domain/errors.js';
import { CAPTURES } from '../../services/self-enrolment.service.js';
import { toCreatedInvitationDto, toInvitationDto, toSubmissionDto } from '../dto/enrolment.dto.js';
import { readImages } from '../image-input.js';
import { sendPhoto } from '../photo-reply.js';
import { actorOf } from '../request-auth.js';
import { errorResponses, IdParams } from '../schemas/common.schema.js';
import {
  ApproveBody,
  ConsentBody,
  CreatedInvitationsDto,
  CreateInvitationsBody,
  EnrolmentLivenessDto,
  EnrolmentPageDto,
  EnrolmentSettingsBody,
  EnrolmentSettingsDto,
  InvitationDto,
  InvitationListDto,
  InvitationQuery,
  RejectBody,
  SubmissionDto,
  SubmissionListDto,
  SubmissionPhotoParams,
  SubmissionQuery,
  SubmitResultDto,
  TokenParams,
} from '../schemas/enrolment.schema.js';
import { ChallengeBody, ChallengeDto } from '../schemas/liveness.schema.js';
import { faceLoginInputOf, hintOf, MAX_FACE_LOGIN_IMAGES } from './liveness.routes.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

const tags = ['self-service enrolment'];
/** Requests per minute and client address on the anonymous invitation-link routes. */
export const ENROL_RATE_LIMIT = { max: 30, timeWindow: '1 minute' } as const;
/** The anonymous routes of the enrolment page: the link's token is the only credential. */
const PUBLIC = { auth: 'none' as const, rateLimit: ENROL_RATE_LIMIT };

/** Invitations and the review queue (admins and enrollers). */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function invitationRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  const { invitations, review, selfEnrolment } = ctx;

  app.post(
    '/v1/invitations',
    {
      config: { permission: 'invitations:manage' },
      schema: {
        tags,
        summary: 'Invite employees to enrol their own face: one single-use link each (7 days by default)',
        description:
          'The links are in this answer only: facegate keeps a hash of each token, never the token. With ' +
          '`sendEmail`, each link is also e-mailed; `email` says per invitation whether it was sent.',
        security: SECURED,
        body: CreateInvitationsBody,
        response: { 201: CreatedInvitationsDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await invitations.create(actorOf(request), request.body);
      reply.code(201);
      return { items: created.map(toCreatedInvitationDto) };
    },
  );

  app.get(
    '/v1/invitations',
    {
      config: { permission: 'invitations:manage' },
      schema: {
        tags,
        summary: 'Invitations, newest first, with their status (open, used, revoked, expired)',
        security: SECURED,
        querystring: InvitationQuery,
        response: { 200: InvitationListDto, ...errorResponses },
      },
    },
    async (request) => ({
      items: (await invitations.list(actorOf(request), request.query)).map(toInvitationDto),
    }),
  );

  app.post(
    '/v1/invitations/:id/revoke',
    {
      config: { permission: 'invitations:manage' },
      schema: {
        tags,
        summary: 'Revoke an invitation that is not used yet (audited)',
        security: SECURED,
        params: IdParams,
        response: { 200: InvitationDto, ...errorResponses },
      },
    },
    async (request) => toInvitationDto(await invitations.revoke(actorOf(request), request.params.id)),
  );

  app.get(
    '/v1/enrolment/submissions',
    {
      config: { permission: 'submissions:review' },
      schema: {
        tags,
        summary: 'The review queue: submissions oldest first (default: waiting = pending or held)',
        security: SECURED,
        querystring: SubmissionQuery,
        response: { 200: SubmissionListDto, ...errorResponses },
      },
    },
    async (request) => {
      const { status, limit, offset } = request.query;
      const statuses: SubmissionStatus[] =
        status === undefined || status === 'waiting' ? ['pending', 'held'] : [status];
      const items = await review.queue(actorOf(request), {
        statuses,
        ...(limit !== undefined ? { limit } : {}),
        ...(offset !== undefined ? { offset } : {}),
      });
      return { items: items.map(toSubmissionDto) };
    },
  );

  app.get(
    '/v1/enrolment/submissions/:id/photos/:index',
    {
      config: { permission: 'submissions:review' },
      schema: {
        tags,
        summary: 'A captured photo of a submission waiting for review (gone once decided)',
        security: SECURED,
        params: SubmissionPhotoParams,
        response: { 200: Type.Unknown({ description: 'The image bytes' }), ...errorResponses },
      },
    },
    async (request, reply) =>
      sendPhoto(reply, await review.photo(actorOf(request), request.params.id, request.params.index)),
  );

  app.post(
    '/v1/enrolment/submissions/:id/approve',
    {
      config: { permission: 'submissions:review' },
      schema: {
        tags,
        summary:
          'Approve: the captures are enrolled as templates (live on every node), then erased from the queue',
        security: SECURED,
        params: IdParams,
        body: Type.Optional(ApproveBody),
        response: { 200: SubmissionDto, ...errorResponses },
      },
    },
    async (request) =>
      toSubmissionDto(await review.approve(actorOf(request), request.params.id, request.body?.reason)),
  );

  app.post(
    '/v1/enrolment/submissions/:id/reject',
    {
      config: { permission: 'submissions:review' },
      schema: {
        tags,
        summary: 'Reject with a reason (shown to the employee); the captured photos are erased',
        security: SECURED,
        params: IdParams,
        body: RejectBody,
        response: { 200: SubmissionDto, ...errorResponses },
      },
    },
    async (request) =>
      toSubmissionDto(await review.reject(actorOf(request), request.params.id, request.body.reason)),
  );

  app.get(
    '/v1/enrolment/settings',
    {
      config: { permission: 'settings:read' },
      schema: {
        tags,
        summary:
          'The consent text (with its version) and whether submissions passing every check are auto-approved',
        security: SECURED,
        response: { 200: EnrolmentSettingsDto, ...errorResponses },
      },
    },
    async (request) => selfEnrolment.settings(actorOf(request)),
  );

  app.put(
    '/v1/enrolment/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Change the consent text (a new version) or auto-approval (off by default); audited',
        security: SECURED,
        body: EnrolmentSettingsBody,
        response: { 200: EnrolmentSettingsDto, ...errorResponses },
      },
    },
    async (request) => selfEnrolment.updateSettings(actorOf(request), request.body),
  );
}

/** The enrolment page's steps, authorised by the invitation link's token alone (rate limited per address). */
export function enrolRoutes(app: TypedApp, { ctx, imageGate }: RouteDeps): void {
  const { selfEnrolment } = ctx;

  app.get(
    '/v1/enrol/:token',
    {
      config: PUBLIC,
      schema: {
        tags,
        summary: "The invitation's page: first name, consent text, status and the outcome once submitted",
        params: TokenParams,
        response: { 200: EnrolmentPageDto, ...errorResponses },
      },
    },
    async (request) => selfEnrolment.open(request.params.token, request.ip ?? null),
  );

  app.post(
    '/v1/enrol/:token/consent',
    {
      config: PUBLIC,
      schema: {
        tags,
        summary: 'Accept the consent text of this version (stored and audited)',
        params: TokenParams,
        body: ConsentBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await selfEnrolment.acceptConsent(request.params.token, request.body.version, request.ip ?? null);
      reply.code(204);
      return null;
    },
  );

  app.post(
    '/v1/enrol/:token/challenge',
    {
      config: PUBLIC,
      schema: {
        tags,
        summary: 'A liveness challenge bound to this invitation (after consent)',
        params: TokenParams,
        body: Type.Optional(ChallengeBody),
        response: { 201: ChallengeDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const c = await selfEnrolment.issueChallenge(
        request.params.token,
        request.ip ?? null,
        request.body ?? {},
      );
      reply.code(201);
      return { ...c, actions: [...c.actions], frames: { ...c.frames } };
    },
  );

  app.post(
    '/v1/enrol/:token/liveness',
    {
      config: { ...PUBLIC, imageWork: true },
      schema: {
        tags,
        summary: 'Answer the challenge: multipart `challengeId`, `nonce`, 4–12 `frames`, `timestamps`',
        params: TokenParams,
        response: { 200: EnrolmentLivenessDto, ...errorResponses },
      },
    },
    async (request) => {
      const input = faceLoginInputOf(await readImages(request, MAX_FACE_LOGIN_IMAGES));
      if (!('challenge' in input))
        throw new FacegateError('VALIDATION_FAILED', 'Send the frames of a challenge');
      const answer = input.challenge;
      const outcome = await imageGate.run(() =>
        selfEnrolment.answerChallenge(request.params.token, answer, request.ip ?? null),
      );
      return {
        outcome: outcome.outcome,
        hint: outcome.outcome === 'retry' ? hintOf(outcome.hint) : null,
        code: outcome.code ?? null,
      };
    },
  );

  app.post(
    '/v1/enrol/:token/submission',
    {
      config: { ...PUBLIC, imageWork: true },
      schema: {
        tags,
        summary: `Submit ${CAPTURES.min}–${CAPTURES.max} photos after a passed challenge; held for review`,
        description:
          'Without a passed challenge: `403 LIVENESS_REQUIRED`. Captures that fail come back with hints.',
        params: TokenParams,
        response: { 200: SubmitResultDto, ...errorResponses },
      },
    },
    async (request) => {
      const { images } = await readImages(request, CAPTURES.max);
      const photos = images.map((i) => ({ bytes: i.bytes, contentType: i.contentType }));
      const result = await imageGate.run(() =>
        selfEnrolment.submit(request.params.token, photos, request.ip ?? null),
      );
      return {
        outcome: result.outcome,
        status: result.outcome === 'submitted' ? result.status : null,
        photos: result.photos,
      };
    },
  );
}
