import { beforeAll, describe, expect, it } from 'vitest';
import { liveDocument } from '../../../tools/api-types.js';

type Schema = Record<string, unknown> & { $ref?: string };
interface Doc {
  paths: Record<string, Record<string, Schema>>;
  components?: { schemas?: Record<string, Schema> };
}

/**
 * The constraints the server enforces, as the OpenAPI document states them: what a generated client or a
 * validator reads (the contract walk checks answers; this checks what the document promises about requests).
 */
describe('the OpenAPI document states the request constraints', () => {
  let doc: Doc;
  beforeAll(async () => {
    doc = (await liveDocument()) as unknown as Doc;
  }, 120_000);

  const deref = (schema: Schema | undefined): Schema => {
    const name = schema?.$ref?.replace('#/components/schemas/', '');
    return (name ? doc.components?.schemas?.[name] : schema) ?? {};
  };
  const body = (path: string, method: string, type = 'application/json'): Schema => {
    const content = (
      doc.paths[path]?.[method]?.requestBody as { content?: Record<string, Schema> } | undefined
    )?.content;
    return deref(content?.[type]?.schema as Schema | undefined);
  };
  const property = (schema: Schema, name: string): Schema =>
    deref((schema.properties as Record<string, Schema> | undefined)?.[name]);

  it('badge pattern, e-mail pattern and password length', () => {
    for (const [path, method, type] of [
      ['/v1/employees', 'post', 'application/json'],
      ['/v1/employees/enroll', 'post', 'multipart/form-data'],
    ] as const) {
      const schema = body(path, method, type);
      expect(property(schema, 'badge').pattern, path).toBeTypeOf('string');
      expect(JSON.stringify(property(schema, 'email')), path).toContain('@');
    }
    for (const path of ['/v1/users', '/v1/setup']) {
      expect(property(body(path, 'post'), 'password').minLength, path).toBe(12);
    }
  });

  it('photos: required, bounded counts, raw image bodies beside multipart, no body on GET', () => {
    const faces = body('/v1/employees/{id}/faces', 'post', 'multipart/form-data');
    expect(faces.required).toContain('photos');
    expect(property(faces, 'photos')).toMatchObject({ minItems: 1, maxItems: 20 });
    expect(doc.paths['/v1/employees/{id}/faces']?.get?.requestBody).toBeUndefined();
    for (const path of ['/v1/authenticate', '/v1/verify']) {
      const request = doc.paths[path]?.post?.requestBody as { content?: Record<string, unknown> } | undefined;
      const content = request?.content ?? {};
      expect(Object.keys(content), path).toEqual(
        expect.arrayContaining([
          'multipart/form-data',
          'image/jpeg',
          'image/gif',
          'application/octet-stream',
        ]),
      );
      const [photo, answer] = body(path, 'post', 'multipart/form-data').oneOf as Schema[];
      expect(photo?.required, path).toContain('photo');
      expect(answer?.required, path).toEqual(expect.arrayContaining(['challengeId', 'nonce', 'frames']));
    }
  });
});
