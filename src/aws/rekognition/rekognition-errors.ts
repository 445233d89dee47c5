import { FacegateError } from '../../domain/errors.js';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  /** Base delay of the exponential backoff, in ms (full jitter). */
  baseDelayMs: number;
  /** Waits `ms`; injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  /** 0 ≤ r < 1; injected by tests. */
  random?: () => number;
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'InternalServerError',
  'ServiceUnavailableException',
  // STS (the Face Liveness streaming credentials) names its throttling error without the suffix.
  'Throttling',
]);

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** True for Rekognition errors worth retrying after a pause (throttling, transient server faults). */
export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(errorName(error));
}

/**
 * Runs `call`, retrying throttling and transient faults with exponential backoff and full jitter; after the last
 * attempt a throttled call becomes `OVERLOADED` (HTTP 503) so callers can back off too.
 */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= options.attempts) {
        throw new FacegateError(
          'OVERLOADED',
          'Face service is busy; try again shortly',
          { attempts: attempt },
          { cause: error },
        );
      }
      await sleep(Math.floor(random() * options.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}

/** Maps Rekognition's (and STS's) errors to our codes; anything else passes through unchanged. */
export function mapRekognitionError(error: unknown): unknown {
  if (error instanceof FacegateError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const wrap = (code: ConstructorParameters<typeof FacegateError>[0], text: string) =>
    new FacegateError(code, text, { rekognition: name }, { cause: error });
  switch (name) {
    case 'InvalidImageFormatException':
      return wrap('UNSUPPORTED_FORMAT', 'Image format not supported by Rekognition (JPEG or PNG)');
    case 'ImageTooLargeException':
      return wrap('IMAGE_TOO_LARGE', 'Image too large for Rekognition');
    case 'InvalidParameterException':
      // Rekognition reports a photo without a face as a bad parameter.
      return /no faces/i.test(message)
        ? wrap('NO_FACE', 'No face found')
        : wrap('VALIDATION_FAILED', message);
    case 'ResourceNotFoundException':
      return wrap('NOT_READY', 'Rekognition collection or user not found');
    case 'AccessDeniedException':
    case 'AccessDenied':
      // A deployment fault, not the caller's. AWS's text names the account and role: it stays in the log (cause).
      return wrap(
        'CONFIG_INVALID',
        'AWS denied the call: the role lacks a permission it needs (see the server log)',
      );
    default:
      return error;
  }
}
