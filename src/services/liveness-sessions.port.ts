import type { StreamingCredentials } from './liveness-provider.port.js';

/** Where a remote liveness session stands (Rekognition's statuses). */
export type LivenessSessionStatus = 'CREATED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED';

/** What a finished (or unfinished) session found. */
export interface LivenessSessionResult {
  status: LivenessSessionStatus;
  /** Confidence (0–100) that the person was live; null until the session succeeded. */
  confidence: number | null;
  /** The frame of the live face the provider picked for matching; null when it gave none. */
  referenceImage: Uint8Array | null;
}

/**
 * A remote liveness service whose sessions the browser streams video to (Amazon Rekognition Face Liveness). The
 * rules (who may ask, single use, expiry, the least confidence, audit) stay in the service that uses it.
 */
export interface LivenessSessions {
  /** The region of the streaming endpoint the browser connects to. */
  readonly region: string;
  /** How long a session can be streamed to and read after it is created. */
  readonly sessionTtlMs: number;
  /** Creates a session; `challengeId` makes a repeated call return the same session. */
  create(challengeId: string): Promise<{ sessionId: string }>;
  /** Credentials the browser may use to stream to a session, and for nothing else. */
  streamingCredentials(challengeId: string): Promise<StreamingCredentials>;
  /** What the session found. */
  results(sessionId: string): Promise<LivenessSessionResult>;
}
