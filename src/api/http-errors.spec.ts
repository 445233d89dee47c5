import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { ERROR_STATUS, FacegateError } from '../domain/errors.js';
import { errorHandler, publicMessage, toFacegateError } from './http-errors.js';

function request(contentType?: string): FastifyRequest {
  return { headers: contentType ? { 'content-type': contentType } : {} } as FastifyRequest;
}

function fastifyError(code: string, statusCode: number): Error {
  return Object.assign(new Error(`fastify says ${code}`), { code, statusCode });
}

describe('toFacegateError', () => {
  it('passes domain errors through', () => {
    const error = new FacegateError('NO_FACE', 'no face');
    expect(toFacegateError(error, request())).toBe(error);
  });

  it.each([
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'application/json', 'PAYLOAD_TOO_LARGE'],
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 'image/jpeg', 'IMAGE_TOO_LARGE'],
    [fastifyError('FST_REQ_FILE_TOO_LARGE', 413), 'multipart/form-data; boundary=x', 'IMAGE_TOO_LARGE'],
    [fastifyError('FST_FILES_LIMIT', 413), 'multipart/form-data; boundary=x', 'PAYLOAD_TOO_LARGE'],
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 'text/csv', 'UNSUPPORTED_MEDIA_TYPE'],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 'application/json', 'VALIDATION_FAILED'],
    [fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400), 'application/json', 'VALIDATION_FAILED'],
    [fastifyError('SOMETHING', 429), undefined, 'RATE_LIMITED'],
    [fastifyError('SOMETHING', 503), undefined, 'OVERLOADED'],
    [fastifyError('SOMETHING', 418), undefined, 'VALIDATION_FAILED'],
    [new SyntaxError('Unexpected token'), 'application/json', 'VALIDATION_FAILED'],
    [new TypeError('x is undefined'), undefined, 'INTERNAL'],
  ])('maps %s (%s) to %s', (error, contentType, code) => {
    expect(toFacegateError(error, request(contentType)).code).toBe(code);
  });

  it('maps schema validation errors with their message', () => {
    const error = Object.assign(new Error('body/badge must NOT have fewer than 1 characters'), {
      validation: [{}],
      statusCode: 400,
    });
    expect(toFacegateError(error, request('application/json'))).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'body/badge must NOT have fewer than 1 characters',
    });
  });

  it('keeps the cause of an INTERNAL for the log, not for the client message', () => {
    const mapped = toFacegateError(new Error('secret path /etc/x'), request());
    expect(mapped.message).toBe('Internal error');
    expect((mapped.cause as Error).message).toBe('secret path /etc/x');
  });
});

describe('errorHandler', () => {
  /** Runs the handler on a fake request/reply; returns the body sent and the error log calls. */
  function handle(error: unknown): { status: number; body: unknown; logged: unknown[][] } {
    const logged: unknown[][] = [];
    const log = { error: vi.fn((...args: unknown[]) => logged.push(args)), info: vi.fn() };
    const req = { headers: {}, id: 'req-1', log } as unknown as FastifyRequest;
    const sent: { status: number; body: unknown } = { status: 0, body: undefined };
    const reply = {
      header: () => reply,
      type: () => reply,
      code: (status: number) => {
        sent.status = status;
        return reply;
      },
      send: (body: unknown) => {
        sent.body = body;
        return reply;
      },
    } as unknown as FastifyReply;
    errorHandler(error, req, reply);
    return { ...sent, logged };
  }

  it('sends a generic MODEL_INTEGRITY message and logs the full one server-side', () => {
    const full = 'Model file human/models/blazeface.json: sha256 abc123 does not match the expected def456';
    const error = new FacegateError('MODEL_INTEGRITY', full, { path: 'human/models/blazeface.json' });
    const { status, body, logged } = handle(error);
    expect(status).toBe(500);
    expect(body).toEqual({
      error: { code: 'MODEL_INTEGRITY', message: publicMessage(error), requestId: 'req-1' },
    });
    expect(JSON.stringify(body)).not.toMatch(/abc123|def456|blazeface/);
    expect(logged).toHaveLength(1);
    expect((logged[0]![0] as { err: FacegateError }).err.message).toBe(full);
  });

  it('still sends the own message of a client error', () => {
    const { status, body } = handle(new FacegateError('NO_FACE', 'No face found in the image'));
    expect(status).toBe(ERROR_STATUS.NO_FACE);
    expect(body).toMatchObject({ error: { code: 'NO_FACE', message: 'No face found in the image' } });
  });
});
