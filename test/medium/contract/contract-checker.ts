import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.0 document the checker reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** One operation of the document. */
export interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }>; headers?: object }>;
}

/** A JSON schema as the document holds it. */
export type JsonSchema = Record<string, unknown>;

/** A response as the checker sees it. */
export interface SeenResponse {
  status: number;
  contentType: string | undefined;
  body: string;
  headers: Record<string, unknown>;
}

/** Replaces every `$ref` by the schema it names (the document has no cycles). */
export function dereference<T>(value: T, doc: OpenApiDocument): T {
  if (Array.isArray(value)) return value.map((item) => dereference(item, doc)) as T;
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    return dereference(doc.components?.schemas?.[name] as T, doc);
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, dereference(v, doc)]),
  ) as T;
}

/** Checks responses against one document: documented status, content type, schema, the one error shape. */
export class ContractChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: false });
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    (addFormats as unknown as (ajv: Ajv) => void)(this.ajv);
  }

  /** The problems of `res` as an answer of `operation`; empty when it keeps the contract. */
  check(label: string, operation: Operation, res: SeenResponse): string[] {
    const where = `${label} → ${res.status}`;
    if (res.status >= 500) return [`${where}: server error ${res.body.slice(0, 200)}`];
    const documented = operation.responses[String(res.status)];
    if (!documented) return [`${where}: status not documented`];
    if (res.status === 204) return [];
    const media = (res.contentType ?? '').split(';')[0]?.trim() ?? '';
    const content = documented.content ?? {};
    const declared = content[media];
    if (!declared)
      return [`${where}: content type ${media} not documented (${Object.keys(content).join(', ')})`];
    const problems: string[] = [];
    if (res.status >= 400) problems.push(...this.errorShape(where, res));
    if (media === 'application/json' && declared.schema)
      problems.push(...this.matches(where, declared.schema, res));
    return problems;
  }

  private errorShape(where: string, res: SeenResponse): string[] {
    try {
      const error = (JSON.parse(res.body) as { error?: Record<string, unknown> }).error;
      const keys = Object.keys(error ?? {})
        .sort()
        .join(',');
      if (keys !== 'code,message,requestId') return [`${where}: error shape ${res.body.slice(0, 200)}`];
      if (error?.requestId !== res.headers['x-request-id'])
        return [`${where}: error requestId differs from header`];
      if ((res.status === 429 || res.status === 503) && res.headers['retry-after'] === undefined) {
        return [`${where}: no Retry-After`];
      }
      return [];
    } catch {
      return [`${where}: error body is not JSON`];
    }
  }

  private matches(where: string, schema: JsonSchema, res: SeenResponse): string[] {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(dereference(schema, this.doc));
      this.validators.set(schema, validate);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return [`${where}: body is not JSON`];
    }
    if (validate(body)) return [];
    return [`${where}: ${this.ajv.errorsText(validate.errors)} in ${res.body.slice(0, 200)}`];
  }
}
