import {
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
  type GetFaceLivenessSessionResultsCommandOutput,
  type RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { FacegateError } from '../../domain/errors.js';
import type { StreamingCredentials } from '../../services/liveness-provider.port.js';
import type { LivenessSessionResult, LivenessSessions } from '../../services/liveness-sessions.port.js';
import { mapRekognitionError, type RetryOptions, withRetry } from './rekognition-errors.js';

/** A Face Liveness session can be streamed to and read for 3 minutes after it is created (Rekognition guide). */
export const FACE_LIVENESS_SESSION_TTL_MS = 3 * 60_000;

/** Lifetime of the streaming credentials: STS's shortest (15 minutes). */
export const STREAMING_CREDENTIALS_SECONDS = 900;

/**
 * The session policy of the streaming credentials: whatever the role allows, these credentials can only start a
 * Face Liveness stream (the action takes no resource-level permission, hence `*`).
 */
export const STREAMING_SESSION_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'rekognition:StartFaceLivenessSession', Resource: '*' }],
});

/** Settings of {@link RekognitionLivenessSessions}. */
export interface RekognitionLivenessOptions {
  rekognition: RekognitionClient;
  sts: STSClient;
  /** The region of the Rekognition client (the browser streams to the same one). */
  region: string;
  /** The role assumed for the browser's credentials (its own policy: only `StartFaceLivenessSession`). */
  streamingRoleArn: string;
  /** KMS key Rekognition encrypts the session's reference image with. */
  kmsKeyId?: string;
  retry?: Partial<RetryOptions>;
}

const STATUSES = new Set(['CREATED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'EXPIRED']);

/**
 * {@link LivenessSessions} on Amazon Rekognition Face Liveness: `CreateFaceLivenessSession` (our challenge id as
 * the idempotency token, no audit images), `GetFaceLivenessSessionResults`, and STS `AssumeRole` for the browser's
 * streaming credentials. Throttling is retried with backoff, then `OVERLOADED`; a denied call is `CONFIG_INVALID`.
 */
export class RekognitionLivenessSessions implements LivenessSessions {
  readonly sessionTtlMs = FACE_LIVENESS_SESSION_TTL_MS;
  readonly region: string;
  private readonly retry: RetryOptions;

  constructor(private readonly options: RekognitionLivenessOptions) {
    this.region = options.region;
    this.retry = { attempts: 4, baseDelayMs: 100, ...options.retry };
  }

  async create(challengeId: string): Promise<{ sessionId: string }> {
    const { kmsKeyId } = this.options;
    const out = await this.call(() =>
      this.options.rekognition.send(
        new CreateFaceLivenessSessionCommand({
          ClientRequestToken: challengeId,
          ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
          // facegate keeps no audit images: the reference image is matched and dropped.
          Settings: { AuditImagesLimit: 0 },
        }),
      ),
    );
    if (!out.SessionId) throw new FacegateError('NOT_READY', 'Rekognition created no Face Liveness session');
    return { sessionId: out.SessionId };
  }

  async streamingCredentials(challengeId: string): Promise<StreamingCredentials> {
    const out = await this.call(() =>
      this.options.sts.send(
        new AssumeRoleCommand({
          RoleArn: this.options.streamingRoleArn,
          // Names the challenge in CloudTrail, so a stream can be traced to the kiosk that asked.
          RoleSessionName: `facegate-liveness-${challengeId}`.slice(0, 64),
          DurationSeconds: STREAMING_CREDENTIALS_SECONDS,
          Policy: STREAMING_SESSION_POLICY,
        }),
      ),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new FacegateError('NOT_READY', 'STS returned no streaming credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration).toISOString(),
    };
  }

  async results(sessionId: string): Promise<LivenessSessionResult> {
    let out: GetFaceLivenessSessionResultsCommandOutput;
    try {
      out = await withRetry(
        () =>
          this.options.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId })),
        this.retry,
      );
    } catch (error) {
      // Rekognition forgets a session 3 minutes after creating it: for us it expired.
      if (error instanceof Error && error.name === 'SessionNotFoundException') {
        return { status: 'EXPIRED', confidence: null, referenceImage: null };
      }
      throw mapRekognitionError(error);
    }
    const status = out.Status ?? '';
    if (!STATUSES.has(status)) {
      throw new FacegateError('NOT_READY', `Unknown Face Liveness session status "${status}"`);
    }
    const bytes = out.ReferenceImage?.Bytes;
    return {
      status: status as LivenessSessionResult['status'],
      confidence: typeof out.Confidence === 'number' ? out.Confidence : null,
      referenceImage: bytes && bytes.length > 0 ? bytes : null,
    };
  }

  /** Sends one command with retries on throttling, mapping errors to our codes. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(send, this.retry);
    } catch (error) {
      throw mapRekognitionError(error);
    }
  }
}
