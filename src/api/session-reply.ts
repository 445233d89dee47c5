import '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import type { OpenedSession } from '../auth/session.service.js';
import { toUserDto } from './dto/auth.dto.js';
import { SESSION_COOKIE } from './request-auth.js';

/**
 * The answer to a console sign-in that opened a session (by password, or by the second step after it): the
 * session in an HttpOnly cookie for the browser, or its token in the body when the caller asked for a bearer.
 */
export function answerOpenedSession(
  reply: FastifyReply,
  session: OpenedSession,
  options: { bearer: boolean; secureCookie: boolean },
) {
  if (!options.bearer) {
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: options.secureCookie,
      path: '/',
      expires: new Date(session.expiresAt),
    });
  }
  return {
    user: toUserDto(session.user),
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt,
    ...(options.bearer ? { token: session.token } : {}),
  };
}
