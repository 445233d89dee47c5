import fc from 'fast-check';
import type { JsonSchema, Operation } from './contract-checker.js';

/** Values that match `schema` (boundaries included: min and max lengths, limits, optional fields left out). */
export function valid(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return fc.oneof(...union.map(valid));
  const value = byType(schema);
  return schema.nullable === true ? fc.oneof(value, fc.constant(null)) : value;
}

function byType(schema: JsonSchema): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case 'string':
      return text(schema);
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
      return fc.oneof(fc.constant(min), fc.constant(max), fc.integer({ min, max }));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxLength = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 3, 3);
      return fc.array(valid(schema.items as JsonSchema), {
        minLength,
        maxLength: Math.max(minLength, maxLength),
      });
    }
    case 'object':
      return object(schema);
    default:
      return fc.constant(undefined);
  }
}

function text(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (typeof schema.pattern === 'string') {
    const max = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((s) => s.length <= max && s.trim().length > 0);
  }
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 40, 300);
  return fc.oneof(
    fc.constant('x'.repeat(Math.max(1, minLength))),
    fc.constant('y'.repeat(Math.max(1, maxLength))),
    fc.string({ minLength: Math.max(1, minLength), maxLength }),
  );
}

function object(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  const record = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, valid(v)]));
  const keys = Object.keys(properties);
  if (keys.length === 0) return fc.constant({});
  return fc.record(record, { requiredKeys: required.filter((k) => keys.includes(k)) }) as fc.Arbitrary<
    Record<string, unknown>
  >;
}

/** Values of the wrong kind for any schema: wrong types, huge strings, unknown fields. */
export function invalid(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 20 }),
    fc.constant('z'.repeat(400)),
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.oneof(fc.boolean(), fc.integer(), fc.constant(null)),
      {
        maxKeys: 3,
      },
    ),
  );
}

/** A request of the generator: what to send, before credentials are added. */
export interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** Path parameters: a known id, a fresh uuid, or garbage (long, encoded, empty-ish). */
function pathValue(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
    fc.uuid(),
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constant('q'.repeat(150)),
  );
}

/** Requests for one operation: valid, boundary and invalid parameters and bodies. */
export function requestsFor(
  method: string,
  path: string,
  operation: Operation,
  knownIds: readonly string[],
): fc.Arbitrary<GeneratedRequest> {
  const params = operation.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const query = params.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...pathParams.map(() => pathValue(knownIds)));
  const queryArb = fc.tuple(
    ...query.map((p) =>
      fc.option(fc.oneof(valid(p.schema).map(String), fc.string({ maxLength: 10 })), { nil: undefined }),
    ),
  );
  return fc.tuple(pathArb, queryArb, bodyOf(operation)).map(([values, queryValues, body]) => {
    let url = path;
    pathParams.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, encodeURIComponent(values[i] ?? ''));
    });
    const search = new URLSearchParams();
    query.forEach((p, i) => {
      const value = queryValues[i];
      if (value !== undefined) search.set(p.name, value);
    });
    const qs = search.toString();
    return { method, url: qs ? `${url}?${qs}` : url, ...body };
  });
}

function bodyOf(
  operation: Operation,
): fc.Arbitrary<{ headers: Record<string, string>; payload?: string | Buffer }> {
  const content = operation.requestBody?.content;
  if (!content) return fc.constant({ headers: {} });
  const json = content['application/json'];
  if (json) {
    return fc.oneof(valid(json.schema), invalid()).map((value) => ({
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(value ?? {}),
    }));
  }
  // Image routes: bytes that are not a usable photo (the engine's answers are covered by their own tests).
  const type = Object.keys(content).find((t) => t.startsWith('image/')) ?? 'multipart/form-data; boundary=x';
  return fc.uint8Array({ maxLength: 64 }).map((bytes) => ({
    headers: { 'content-type': type },
    payload: Buffer.from(bytes),
  }));
}
