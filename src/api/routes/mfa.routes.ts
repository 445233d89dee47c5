import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { StepResponse } from '../../auth/mfa/second-factor.service.js';
import type { Actor } from '../../domain/access.js';
import { FacegateError, isFacegateError } from '../../domain/errors.js';
import type { FactorKind, FactorSubject } from '../../domain/second-factors.js';
import { actorOf } from '../request-auth.js';
import { LoginResponse } from '../schemas/auth.schema.js';
import { errorResponses } from '../schemas/common.schema.js';
import { DecisionDto } from '../schemas/face.schema.js';
import {
  ConsoleSecondFactorBody,
  FactorListDto,
  PasskeyRegisterBody,
  PasskeyRegisteredDto,
  PinBody,
  RecoveryCodesDto,
  ResetFactorsQuery,
  SecondFactorBody,
  SecondFactorStepDto,
  StepTokenBody,
  TotpConfirmBody,
  TotpEnrolBody,
  TotpEnrolmentDto,
} from '../schemas/mfa.schema.js';
import { answerOpenedSession } from '../session-reply.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

const TAGS = ['second factors'];

/**
 * Second factors: completing a face login or console sign-in with one, and enrolling, listing and resetting the
 * factors of an employee, of an admin user, and of the caller.
 */
export function mfaRoutes(app: TypedApp, deps: RouteDeps): void {
  faceStepRoutes(app, deps);
  consoleStepRoutes(app, deps);
  const employee = (request: FastifyRequest): FactorSubject => ({ type: 'employee', id: paramId(request) });
  const user = (request: FastifyRequest): FactorSubject => ({ type: 'user', id: paramId(request) });
  factorRoutes(app, deps, '/v1/employees/:id/factors', employee, "an employee's");
  factorRoutes(app, deps, '/v1/users/:id/factors', user, "an admin user's");
  factorRoutes(app, deps, '/v1/auth/me/factors', ownSubject, 'your own');
}

/** `POST /v1/authenticate/second-factor` (+ `/options`): the second step of face login. */
function faceStepRoutes(app: TypedApp, { ctx, metrics }: RouteDeps): void {
  const { faceSecondFactor } = ctx.auth;
  app.post(
    '/v1/authenticate/second-factor',
    {
      schema: {
        tags: ['face login'],
        summary:
          'Complete a face login with its second factor → the face-login token (amr lists both factors)',
        security: SECURED,
        body: SecondFactorBody,
        response: { 200: DecisionDto, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      let done: Awaited<ReturnType<typeof faceSecondFactor.complete>>;
      try {
        done = await faceSecondFactor.complete(actor, request.body.stepToken, stepResponse(request.body));
      } catch (error) {
        if (isFacegateError(error)) metrics.observeSecondFactor({ code: error.code });
        throw error;
      }
      metrics.observeSecondFactor({ action: done.method });
      return {
        decision: 'match' as const,
        employee: done.employee,
        token: done.token.token,
        tokenExpiresAt: done.token.expiresAt,
        amr: done.amr,
      };
    },
  );

  app.post(
    '/v1/authenticate/second-factor/options',
    {
      schema: {
        tags: ['face login'],
        summary: 'Fresh WebAuthn request options of a pending step (the step token stays usable)',
        security: SECURED,
        body: StepTokenBody,
        response: { 200: SecondFactorStepDto, ...errorResponses },
      },
    },
    async (request) => ctx.auth.secondFactors.stepOptions(actorOf(request), request.body.stepToken),
  );
}

/** `POST /v1/auth/login/second-factor`: the second step of console sign-in. */
function consoleStepRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  const { consoleSecondFactor } = ctx.auth;
  const secureCookie = ctx.config.env === 'production';
  app.post(
    '/v1/auth/login/second-factor',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['session'],
        summary: 'Complete a console sign-in with TOTP, a passkey or a recovery code: opens the session',
        body: ConsoleSecondFactorBody,
        response: { 200: LoginResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ip = request.ip ?? null;
      const session = await consoleSecondFactor.complete(
        request.body.stepToken,
        stepResponse(request.body),
        ip,
      );
      return answerOpenedSession(reply, session, { bearer: request.body.session === 'bearer', secureCookie });
    },
  );
}

/** Enrol, list and reset the factors of the subject `subjectOf` names, under `prefix`. */
function factorRoutes(
  app: TypedApp,
  { ctx }: RouteDeps,
  prefix: string,
  subjectOf: (request: FastifyRequest) => FactorSubject,
  whose: string,
): void {
  const mfa = ctx.auth.secondFactors;
  const route = (summary: string) => ({ tags: TAGS, summary: `${summary} (${whose})`, security: SECURED });
  const call = (request: FastifyRequest): [Actor, FactorSubject] => [actorOf(request), subjectOf(request)];

  app.get(
    prefix,
    { schema: { ...route('List second factors'), response: { 200: FactorListDto, ...errorResponses } } },
    async (request) => mfa.listFactors(...call(request)),
  );
  app.post(
    `${prefix}/totp`,
    {
      schema: {
        ...route('Start a TOTP enrolment: secret, otpauth URI and QR code; active after one code'),
        body: TotpEnrolBody,
        response: { 201: TotpEnrolmentDto, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await mfa.enrolTotp(...call(request), request.body.label)),
  );
  app.post(
    `${prefix}/totp/:factorId/confirm`,
    {
      schema: {
        ...route('Activate a TOTP enrolment with one valid code; returns ten recovery codes, shown once'),
        body: TotpConfirmBody,
        response: { 200: RecoveryCodesDto, ...errorResponses },
      },
    },
    async (request) =>
      mfa.confirmTotp(...call(request), factorIdOf(request), (request.body as { code: string }).code),
  );
  app.post(
    `${prefix}/recovery-codes`,
    {
      schema: {
        ...route('Replace the recovery codes with ten new ones, shown once'),
        response: { 200: RecoveryCodesDto, ...errorResponses },
      },
    },
    async (request) => mfa.regenerateRecoveryCodes(...call(request)),
  );
  app.put(
    `${prefix}/pin`,
    {
      schema: {
        ...route('Set the PIN (6+ digits)'),
        body: PinBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await mfa.setPin(...call(request), request.body.pin);
      return reply.code(204).send(null);
    },
  );
  passkeyRoutes(app, prefix, route, call, mfa);
  app.delete(
    prefix,
    {
      schema: {
        ...route('Reset second factors (all, or ?kinds=totp,webauthn,pin,recovery): a lost device'),
        querystring: ResetFactorsQuery,
        response: { 200: Type.Object({ removed: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      const kinds = request.query.kinds?.split(',') as FactorKind[] | undefined;
      return { removed: await mfa.resetFactors(...call(request), kinds) };
    },
  );
  app.delete(
    `${prefix}/:factorId`,
    { schema: { ...route('Remove one second factor'), response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await mfa.removeFactor(...call(request), factorIdOf(request));
      return reply.code(204).send(null);
    },
  );
}

/** Passkey registration: options for `navigator.credentials.create`, then the browser's response. */
function passkeyRoutes(
  app: TypedApp,
  prefix: string,
  route: (summary: string) => Record<string, unknown>,
  call: (request: FastifyRequest) => [Actor, FactorSubject],
  mfa: RouteDeps['ctx']['auth']['secondFactors'],
): void {
  app.post(
    `${prefix}/passkey/options`,
    {
      schema: {
        ...route('Passkey registration options (a single-use challenge, two minutes)'),
        response: { 200: Type.Unknown(), ...errorResponses },
      },
    },
    async (request): Promise<PublicKeyCredentialCreationOptionsJSON> =>
      mfa.beginPasskeyRegistration(...call(request)),
  );
  app.post(
    `${prefix}/passkey`,
    {
      schema: {
        ...route('Register a passkey from the browser response; recovery codes when it is the first'),
        body: PasskeyRegisterBody,
        response: { 201: PasskeyRegisteredDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { response, label } = request.body as { response: unknown; label?: string };
      const done = await mfa.finishPasskeyRegistration(
        ...call(request),
        response as RegistrationResponseJSON,
        label,
      );
      return reply.code(201).send(done);
    },
  );
}

/** The step answer of a request body; `otp` is the RFC 8176 name of `totp`. */
function stepResponse(body: {
  kind: 'otp' | 'totp' | 'recovery' | 'pin' | 'webauthn';
  code?: string;
  assertion?: Record<string, unknown>;
}): StepResponse {
  if (body.kind === 'webauthn') {
    if (!body.assertion) throw new FacegateError('VALIDATION_FAILED', 'assertion is required for webauthn');
    return { kind: 'webauthn', assertion: body.assertion as unknown as AuthenticationResponseJSON };
  }
  if (body.code === undefined) throw new FacegateError('VALIDATION_FAILED', 'code is required');
  return { kind: body.kind === 'otp' ? 'totp' : body.kind, code: body.code };
}

function ownSubject(request: FastifyRequest): FactorSubject {
  const actor = actorOf(request);
  if (actor.type !== 'user')
    throw new FacegateError('FORBIDDEN', 'Only signed-in users have their own factors');
  return { type: 'user', id: actor.id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function paramId(request: FastifyRequest): string {
  return checkedUuid((request.params as { id?: string }).id, 'id');
}

function factorIdOf(request: FastifyRequest): string {
  return checkedUuid((request.params as { factorId?: string }).factorId, 'factorId');
}

function checkedUuid(value: string | undefined, field: string): string {
  if (!value || !UUID.test(value)) throw new FacegateError('VALIDATION_FAILED', `${field} must be a uuid`);
  return value;
}
