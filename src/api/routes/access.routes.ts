import { Type } from 'typebox';
import { permissionsOf } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import { toApiKeyDto, toUserDto } from '../dto/auth.dto.js';
import { actorOf, SESSION_COOKIE } from '../request-auth.js';
import {
  ApiKeyDto,
  ChangePasswordBody,
  CreatedKeyResponse,
  CreateKeyBody,
  CreateUserBody,
  LoginBody,
  LoginOrStepResponse,
  MeResponse,
  SetupBody,
  SetupStatus,
  UpdateUserBody,
  UserDto,
} from '../schemas/auth.schema.js';
import { errorResponses, IdParams } from '../schemas/common.schema.js';
import { answerOpenedSession } from '../session-reply.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Sessions, first-run setup, admin users and API keys. */
// Long by design: a flat list of route declarations, each a few lines; splitting would only scatter the table.
export function accessRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  const { users, setup, apiKeys } = ctx.auth;
  const secureCookie = ctx.config.env === 'production';
  const sessionTags = ['session'];

  app.post(
    '/v1/auth/login',
    {
      config: { auth: 'none' },
      schema: {
        tags: sessionTags,
        summary:
          'Password login: sets the HttpOnly session cookie (or returns a bearer token), or answers the ' +
          'second-factor step to complete at /v1/auth/login/second-factor',
        body: LoginBody,
        response: { 200: LoginOrStepResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const begun = await users.beginLogin({
        username: request.body.username,
        password: request.body.password,
        ip: request.ip ?? null,
      });
      if ('secondFactor' in begun) return { secondFactor: begun.secondFactor };
      const { session } = begun;
      return answerOpenedSession(reply, session, { bearer: request.body.session === 'bearer', secureCookie });
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: sessionTags,
        summary: 'End the current session',
        description: 'Session callers only: an API key answers `400`; keys are revoked through `/v1/keys`.',
        security: SECURED,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      if (actor.type === 'api_key') {
        throw new FacegateError(
          'VALIDATION_FAILED',
          'API keys have no session to end; revoke a key with DELETE /v1/keys/{id}',
        );
      }
      if (request.sessionToken) await users.logout(actor, request.sessionToken);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/auth/me',
    {
      schema: {
        tags: sessionTags,
        summary: 'Who am I: actor, role, permissions and the CSRF token of a cookie session',
        security: SECURED,
        response: { 200: MeResponse, ...errorResponses },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const user = actor.type === 'user' ? await users.me(actor) : undefined;
      return {
        actor: { type: actor.type, id: actor.id, name: actor.name, role: actor.role },
        permissions: permissionsOf(actor.role),
        ...(user ? { user: toUserDto(user) } : {}),
        csrfToken: request.session?.csrfToken ?? null,
      };
    },
  );

  app.post(
    '/v1/auth/password',
    {
      schema: {
        tags: sessionTags,
        summary: 'Change your own password (ends your other sessions)',
        security: SECURED,
        body: ChangePasswordBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await users.changePassword(actorOf(request), request.body);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/setup/status',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['setup'],
        summary: 'Whether the first admin still has to be created',
        response: { 200: SetupStatus },
      },
    },
    async () => setup.status(),
  );

  app.post(
    '/v1/setup',
    {
      config: { auth: 'none', rateLimit: { max: 10, timeWindow: '1 minute' } },
      schema: {
        tags: ['setup'],
        summary: 'Create the first admin with the one-time setup token printed at start',
        body: SetupBody,
        response: { 201: UserDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ip = request.ip ?? null;
      const user = await setup.complete(
        { type: 'system', id: 'setup', role: 'admin', name: 'setup', ip },
        request.body,
      );
      return reply.code(201).send(toUserDto(user));
    },
  );

  const userTags = ['users'];
  app.get(
    '/v1/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: userTags,
        summary: 'List admin users',
        security: SECURED,
        response: { 200: Type.Object({ items: Type.Array(UserDto) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await users.list(actorOf(request))).map(toUserDto) }),
  );

  app.post(
    '/v1/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: userTags,
        summary: 'Create a user with a role',
        security: SECURED,
        body: CreateUserBody,
        response: { 201: UserDto, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(toUserDto(await users.create(actorOf(request), request.body))),
  );

  app.patch(
    '/v1/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: userTags,
        summary: 'Change a role or disable a user (lowering the role or disabling ends their sessions)',
        security: SECURED,
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserDto, ...errorResponses },
      },
    },
    async (request) => toUserDto(await users.update(actorOf(request), request.params.id, request.body)),
  );

  app.delete(
    '/v1/users/:id',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: userTags,
        summary: 'Delete a user',
        security: SECURED,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await users.delete(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  const keyTags = ['api keys'];
  app.get(
    '/v1/keys',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags: keyTags,
        summary: 'List API keys (prefix, role, last used; never secrets)',
        security: SECURED,
        response: { 200: Type.Object({ items: Type.Array(ApiKeyDto) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await apiKeys.list(actorOf(request))).map(toApiKeyDto) }),
  );

  app.post(
    '/v1/keys',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags: keyTags,
        summary: 'Create an API key; the secret is in this response only',
        security: SECURED,
        body: CreateKeyBody,
        response: { 201: CreatedKeyResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(actorOf(request), request.body);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ key: toApiKeyDto(created.key), secret: created.secret });
    },
  );

  app.delete(
    '/v1/keys/:id',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags: keyTags,
        summary: 'Revoke an API key (effective at once)',
        security: SECURED,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
