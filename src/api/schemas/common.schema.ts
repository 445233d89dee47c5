import { Type } from 'typebox';

/** The one error body of every failed request. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. NO_FACE, LOCKED_OUT' }),
      message: Type.String(),
      requestId: Type.String(),
    }),
  },
  { title: 'Error' },
);

/** A uuid path parameter. */
export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });

/** `{ id }` path parameters. */
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** An ISO-8601 timestamp. */
export const Timestamp = Type.String({ format: 'date-time' });

/** Nullable helper. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/** Error responses every authenticated route may return. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
} as const;
