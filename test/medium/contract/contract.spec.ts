import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppServer } from '../../../src/app/server-lifecycle.js';
import { body, createEmployee, openStaffedApi, type StaffedApi } from '../api/api-test-kit.js';
import {
  ContractChecker,
  type OpenApiDocument,
  type Operation,
  type SeenResponse,
} from './contract-checker.js';
import { requestsFor } from './contract-requests.js';

type Caller = 'anonymous' | 'kiosk' | 'admin';
const CALLERS: readonly Caller[] = ['anonymous', 'kiosk', 'admin'];

/**
 * Operations a caller must not run, because they would destroy the test's own credentials halfway:
 * the admin's logout ends the session every later admin request uses. (Keys and users are only ever addressed
 * by random ids, so the kiosk key and the admin cannot be revoked or deleted by the generated requests.)
 */
const EXCLUDED: ReadonlySet<string> = new Set(['admin POST /v1/auth/logout']);

/** Runs per operation and caller: bounded so the whole walk stays well under a minute. */
const RUNS = 3;

function seen(res: LightMyRequestResponse): SeenResponse {
  return {
    status: res.statusCode,
    contentType: res.headers['content-type'] as string | undefined,
    body: res.body,
    headers: res.headers,
  };
}

/** Walks every operation of `doc` against the live server; returns every broken promise found. */
async function walk(
  api: StaffedApi,
  server: FastifyInstance,
  doc: OpenApiDocument,
  knownIds: readonly string[],
): Promise<string[]> {
  const checker = new ContractChecker(doc);
  const problems: string[] = [];
  const credentials: Record<Caller, Record<string, string>> = {
    anonymous: {},
    kiosk: api.kiosk,
    admin: api.admin,
  };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [lower, operation] of Object.entries(operations) as [string, Operation][]) {
      const method = lower.toUpperCase();
      for (const caller of CALLERS) {
        if (EXCLUDED.has(`${caller} ${method} ${path}`)) continue;
        await fc.assert(
          fc.asyncProperty(requestsFor(method, path, operation, knownIds), async (request) => {
            const res = await server.inject({
              method: request.method as 'GET',
              url: request.url,
              headers: { ...request.headers, ...credentials[caller] },
              ...(request.payload !== undefined ? { payload: request.payload } : {}),
            });
            problems.push(...checker.check(`${caller} ${method} ${request.url}`, operation, seen(res)));
          }),
          { numRuns: RUNS, seed: 13 },
        );
      }
    }
  }
  return problems;
}

/** A copy of `doc` with one promise broken: a removed status code, or a response field of another type. */
function brokenCopy(doc: OpenApiDocument, how: 'status' | 'field'): OpenApiDocument {
  const copy = structuredClone(doc);
  const me = copy.paths['/v1/auth/me']?.get;
  if (!me) throw new Error('the document has no GET /v1/auth/me');
  if (how === 'status') {
    for (const operation of Object.values(copy.paths).flatMap((ops) => Object.values(ops))) {
      delete operation.responses['401'];
    }
  } else {
    const schema = me.responses['200']?.content?.['application/json']?.schema as Record<string, unknown>;
    const user = JSON.stringify(schema).includes('"username"');
    if (!user) throw new Error('GET /v1/auth/me answers no username');
    copy.paths['/v1/auth/me'] = {
      get: {
        ...me,
        responses: {
          ...me.responses,
          200: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['user'],
                  properties: {
                    user: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
                  },
                },
              },
            },
          },
        },
      },
    };
  }
  return copy;
}

describe('API contract', () => {
  let api: StaffedApi;
  let doc: OpenApiDocument;
  let knownIds: string[];
  /**
   * A second server over the same services, whose backpressure threshold a busy test machine cannot reach:
   * `503 OVERLOADED` from a slow CI box says nothing about the contract.
   */
  let server: FastifyInstance;

  beforeAll(async () => {
    api = await openStaffedApi();
    const employee = await createEmployee(api, api.admin, {
      badge: 'C-1',
      firstName: 'Con',
      lastName: 'Tract',
    });
    knownIds = [employee];
    server = await buildAppServer(api.app, { logger: false, maxEventLoopDelayMs: 0 });
    const res = await api.server.inject({ method: 'GET', url: '/docs/json' });
    doc = body<OpenApiDocument>(res);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  it('every operation has an operationId and a tag, no GET has a body, and errors are documented', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const label = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, label).toBeTruthy();
        expect(ids.has(operation.operationId ?? ''), `${label} duplicate operationId`).toBe(false);
        ids.add(operation.operationId ?? '');
        expect(operation.tags?.length, label).toBeGreaterThan(0);
        if (method === 'get') expect(operation.requestBody, label).toBeUndefined();
        for (const status of ['400', '401', '403', '404', '413', '415', '422', '429', '503']) {
          expect(operation.responses[status], `${label} ${status}`).toBeDefined();
        }
        expect(operation.responses['429']?.headers, `${label} Retry-After`).toHaveProperty('retry-after');
      }
    }
    const authenticate = doc.paths['/v1/authenticate']?.post?.requestBody?.content ?? {};
    expect(Object.keys(authenticate)).toEqual(expect.arrayContaining(['multipart/form-data', 'image/jpeg']));
    const audit = doc.paths['/v1/audit/export']?.get?.responses['200']?.content ?? {};
    expect(Object.keys(audit).sort()).toEqual(['application/x-ndjson', 'text/csv']);
  });

  it('generated requests of every operation, as anonymous, kiosk and admin, keep the documented contract', async () => {
    const problems = await walk(api, server, doc, knownIds);
    expect(problems).toEqual([]);
  }, 90_000);

  it('the same walk fails against a document that drops a status code or changes a response field', async () => {
    const broken = brokenCopy(doc, 'status');
    // One operation is enough to show the failure (the anonymous caller gets 401 there).
    const fewer = await walk(
      api,
      server,
      { ...broken, paths: { '/v1/auth/me': broken.paths['/v1/auth/me'] ?? {} } },
      [],
    );
    expect(fewer.some((p) => p.includes('→ 401: status not documented'))).toBe(true);
    const checker = new ContractChecker(brokenCopy(doc, 'field'));
    const me = await server.inject({ method: 'GET', url: '/v1/auth/me', headers: api.admin });
    const operation = brokenCopy(doc, 'field').paths['/v1/auth/me']?.get as Operation;
    expect(checker.check('admin GET /v1/auth/me', operation, seen(me))).not.toEqual([]);
  }, 90_000);
});
