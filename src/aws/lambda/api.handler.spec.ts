import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from './api.handler.js';
import type { ApiGatewayV2Event } from './lambda-events.js';
import { assertValidationKey, createUploadTicket, presignS3Url } from './presigned-upload.js';

function httpEvent(method: string, path: string, body?: unknown): ApiGatewayV2Event {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: 'a=1',
    queryStringParameters: { a: '1' },
    headers: { 'content-type': 'application/json', host: 'api.example.com' },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'r1',
      stage: '$default',
    },
  };
}

describe('API function', () => {
  it('serves Fastify routes from API Gateway v2 events, building the server once per cold start', async () => {
    let builds = 0;
    const handler = createApiHandler(async () => {
      builds++;
      const app = Fastify();
      app.post('/v1/echo', async (request) => ({ body: request.body, query: request.query, ip: request.ip }));
      return app;
    });
    const first = await handler(httpEvent('POST', '/v1/echo', { badge: 'B1' }), {});
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ body: { badge: 'B1' }, query: { a: '1' }, ip: '203.0.113.9' });
    const missing = await handler(httpEvent('GET', '/v1/nothing'), {});
    expect(missing.statusCode).toBe(404);
    expect(builds).toBe(1);
  });

  it('retries a failed cold start on the next invocation', async () => {
    let attempts = 0;
    const handler = createApiHandler(async () => {
      attempts++;
      if (attempts === 1) throw new Error('table not reachable');
      const app = Fastify();
      app.get('/v1/health', async () => ({ ok: true }));
      return app;
    });
    await expect(handler(httpEvent('GET', '/v1/health'), {})).rejects.toThrow('table not reachable');
    expect((await handler(httpEvent('GET', '/v1/health'), {})).statusCode).toBe(200);
  });
});

describe('validation bucket uploads', () => {
  const example = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };

  it('matches the presigned URL of the S3 documentation (SigV4 query parameters)', () => {
    const url = presignS3Url({
      method: 'GET',
      bucket: 'examplebucket',
      key: 'test.txt',
      region: 'us-east-1',
      host: 'examplebucket.s3.amazonaws.com',
      credentials: example,
      expiresInSeconds: 86400,
      now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('issues a PUT ticket for a fresh probes/ key with the content type and session token signed in', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    const ticket = createUploadTicket({
      bucket: 'validation',
      region: 'eu-west-1',
      credentials: { ...example, sessionToken: 'token/with+chars' },
      contentType: 'image/jpeg',
      now,
    });
    const url = new URL(ticket.url);
    expect(url.host).toBe('validation.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe(`/${ticket.key}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('token/with+chars');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(ticket.headers).toEqual({ 'content-type': 'image/jpeg' });
    expect(ticket.expiresAt).toBe('2026-11-29T12:01:00.000Z');
    expect(assertValidationKey(ticket.key)).toBe(ticket.key);
    const other = createUploadTicket({
      bucket: 'validation',
      region: 'eu-west-1',
      credentials: example,
      contentType: 'image/png',
      now,
    });
    expect(other.key).not.toBe(ticket.key);
  });

  it('authenticate accepts only keys the flow hands out', () => {
    for (const key of [
      '../secret.jpg',
      'probes/../x.jpg',
      'other/0f8fad5b-d9cb-469f-a165-70867728950e.jpg',
      'probes/x.jpg',
    ]) {
      expect(() => assertValidationKey(key)).toThrow(/Unknown upload key/);
    }
    expect(() =>
      presignS3Url({
        method: 'PUT',
        bucket: 'b',
        key: 'k',
        region: 'r',
        credentials: example,
        expiresInSeconds: 0,
        now: new Date(),
      }),
    ).toThrow();
  });
});
