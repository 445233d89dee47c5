import type { Actor } from '../domain/access.js';
import type { FaceAnalysis } from '../engine/face-engine.port.js';
import type { ChallengeAnswer, IssuedChallenge } from './liveness.service.js';

/** Which liveness provider is in force (`FACEGATE_LIVENESS_PROVIDER`; `none` issues no challenge at all). */
export type LivenessProviderKind = 'local' | 'rekognition' | 'none';

/** A local challenge as the caller receives it: prompts to perform while a burst of frames is taken. */
export type LocalIssuedChallenge = IssuedChallenge & { provider: 'local' };

/** Short-lived AWS credentials the browser streams with (allowed only `rekognition:StartFaceLivenessSession`). */
export interface StreamingCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When the credentials stop working (ISO 8601). */
  expiration: string;
}

/** A Rekognition Face Liveness session as the caller receives it: the browser streams video to it. */
export interface SessionIssuedChallenge {
  provider: 'rekognition';
  /** Our challenge id; the answer carries it back. */
  challengeId: string;
  /** Rekognition's session id, for the streaming client. */
  sessionId: string;
  /** The region of the streaming endpoint. */
  region: string;
  expiresAt: string;
  credentials: StreamingCredentials;
}

/** A challenge of whichever provider is in force. */
export type IssuedLivenessChallenge = LocalIssuedChallenge | SessionIssuedChallenge;

/** The answer to a session challenge: only its id (the video went to the provider, not to us). */
export interface SessionAnswer {
  challengeId: string;
}

/** An answer: frames for the local challenge, the challenge id alone for a session. */
export type LivenessAnswer = ChallengeAnswer | SessionAnswer;

/** True for an answer that carries frames (the local challenge's). */
export function carriesFrames(answer: LivenessAnswer): answer is ChallengeAnswer {
  return 'frames' in answer;
}

/** One check of a liveness verdict, as audited (admins see it too). */
export interface LivenessCheck {
  check: string;
  passed: boolean;
  value: number;
  threshold: number;
  /** Stable reason code when failed, `ok` when passed. */
  reason: string;
}

/** What answering a challenge found, whichever provider checked it. */
export interface LivenessResult {
  outcome: 'pass' | 'retry' | 'refused';
  /** For `retry`: what to do differently. */
  hint?: string;
  /** For `refused`: the stable code (`LIVENESS_FAILED`, `CHALLENGE_USED`, `CHALLENGE_EXPIRED`...). */
  code?: string;
  checks: LivenessCheck[];
  /**
   * For `pass`: the live face's image to match, and its analysis when the local engine made one (a session's
   * reference image is read by the matcher itself).
   */
  best?: { bytes: Uint8Array; analysis?: FaceAnalysis };
}

/**
 * The one liveness port of face login: issue a challenge bound to the caller, and check its answer once. The local
 * challenge (head movements, frames checked here) and Rekognition Face Liveness sessions (video streamed by the
 * browser to AWS) are its two adapters, and `none` refuses every challenge; the composition root chooses one from
 * `FACEGATE_LIVENESS_PROVIDER`.
 */
export interface LivenessProvider {
  readonly kind: LivenessProviderKind;
  /** Issues a single-use challenge bound to `actor`. */
  issueChallenge(actor: Actor, input?: { exclude?: readonly string[] }): Promise<IssuedLivenessChallenge>;
  /**
   * Takes the challenge (once) and checks the answer; a replayed, expired, foreign or malformed answer is refused
   * with its code. The outcome is audited as `<auditAction>.liveness`.
   */
  answer(actor: Actor, answer: LivenessAnswer, auditAction?: string): Promise<LivenessResult>;
}
