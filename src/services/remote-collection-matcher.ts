import { isFacegateError } from '../domain/errors.js';
import type { EngineInfo } from '../engine/face-engine.port.js';
import { type QualityLimits, qualityIssues } from '../engine/quality.js';
import { decideIdentify } from '../gallery/gallery.js';
import type {
  FaceMatcher,
  IdentifyVerdict,
  MatchCandidate,
  MatchProbe,
  PreparedTemplate,
  ProbeIssue,
  VerifyVerdict,
} from './face-matcher.port.js';
import { roundScore } from './match-settings.js';
import type { RemoteFaceMatcher, RemoteFaceQuality } from './remote-face-matcher.port.js';

/** Settings of {@link RemoteCollectionMatcher}. */
export interface RemoteCollectionOptions {
  /** The quality limits of `config.engine`; the head-pose limits apply to the remote engine's pose too. */
  limits: QualityLimits;
  /** Whether the employee has enrolled faces (the store's templates): a 1:1 on none answers "no templates". */
  hasFaces(employeeId: string): Promise<boolean>;
  /** Version recorded with templates and audit; the engine's model version when known. */
  version?: string;
}

/**
 * What a remote template stores in place of an embedding (the engine never gives one; stores refuse an empty
 * vector). It is tagged with the remote model, so a local gallery never loads it, and `facegate templates upgrade`
 * can rebuild it from its kept photo when the install moves to the local engine.
 */
export const REMOTE_TEMPLATE_EMBEDDING = new Float32Array([0]);

/** Image errors a remote search reports on the photo itself: the caller should take another one. */
const PHOTO_CODES = new Set(['NO_FACE', 'MULTIPLE_FACES']);

/**
 * A remote collection (an engine that owns its gallery, e.g. Amazon Rekognition) behind the {@link FaceMatcher}
 * port. Scores are the engine's similarity / 100, so the services' thresholds (0–1) map to its 0–100 scale.
 * The photo is read only when it is searched or indexed, so the quality problems the engine reports come back
 * from `identify`/`verify`/`prepare`. Eligibility (suspension, lockout) is the services' check on the store after
 * a match: the collection has no notion of it.
 */
export class RemoteCollectionMatcher implements FaceMatcher {
  readonly info: EngineInfo;

  constructor(
    private readonly remote: RemoteFaceMatcher,
    private readonly options: RemoteCollectionOptions,
  ) {
    this.info = {
      engine: remote.engine,
      model: remote.engine,
      version: options.version ?? '1',
      dimension: 0,
    };
  }

  async probe(photo: Uint8Array): Promise<MatchProbe> {
    return { photo, issues: [], timings: {} };
  }

  async identify(
    probe: MatchProbe,
    options: { threshold: number; margin: number },
  ): Promise<IdentifyVerdict> {
    // Candidates down to threshold − margin, so a runner-up too close to the best one is seen.
    const floor = Math.max(0, options.threshold - options.margin);
    const found = await this.searched(() => this.remote.identify(probe.photo, { similarity: floor * 100 }));
    if ('retry' in found) return found;
    const issues = this.poseIssues(found.quality);
    if (issues.length > 0) return { retry: issues };
    const [best, secondBest] = found.candidates.map(
      (c): MatchCandidate => ({ employeeId: c.employeeId, score: c.score }),
    );
    const verdict = decideIdentify(best?.score ?? null, secondBest?.score ?? null, null, options);
    return { best: best ?? null, secondBest: secondBest ?? null, ...verdict };
  }

  async verify(employeeId: string, probe: MatchProbe, threshold: number): Promise<VerifyVerdict> {
    if (!(await this.options.hasFaces(employeeId))) return { score: null };
    const found = await this.searched(() =>
      this.remote.verify(employeeId, probe.photo, { similarity: threshold * 100 }),
    );
    if ('retry' in found) return found;
    return { score: found.score };
  }

  async findDuplicate(
    probe: MatchProbe,
    threshold: number,
    excludeEmployeeId?: string,
  ): Promise<MatchCandidate | null> {
    const found = await this.searched(() =>
      this.remote.identify(probe.photo, { similarity: threshold * 100 }),
    );
    // A photo the engine cannot search is judged when it is indexed, which says why.
    if ('retry' in found) return null;
    const other = found.candidates.find((c) => c.employeeId !== excludeEmployeeId);
    return other ? { employeeId: other.employeeId, score: other.score } : null;
  }

  async prepare(employeeId: string, probe: MatchProbe): Promise<PreparedTemplate> {
    // The duplicate rule was the service's (findDuplicate), so the engine's own check is skipped.
    const outcome = await this.remote.enrol(employeeId, probe.photo, { force: true });
    if (outcome.status === 'refused') {
      return { refused: outcome.reasons.map((r) => ({ code: r.code, message: r.message })) };
    }
    const issues = this.poseIssues(outcome.quality);
    if (issues.length > 0) {
      await this.remote.removeFaces(employeeId, [outcome.faceId]);
      return { refused: issues };
    }
    const q = outcome.quality;
    return {
      template: {
        // The collection's face id is the template id: deleting the template deletes that face.
        id: outcome.faceId,
        embedding: REMOTE_TEMPLATE_EMBEDDING,
        engine: this.info.engine,
        model: this.info.model,
        modelVersion: outcome.modelVersion ?? this.info.version,
        quality: {
          faceSize: roundScore(q.faceWidthRatio),
          sharpness: roundScore(q.sharpness),
          brightness: roundScore(q.brightness),
          yaw: roundScore(q.yaw),
          pitch: roundScore(q.pitch),
          roll: roundScore(q.roll),
          detectorScore: roundScore(q.detectorScore),
        },
      },
    };
  }

  async discard(employeeId: string, templateIds: readonly string[]): Promise<void> {
    if (templateIds.length > 0) await this.remote.removeFaces(employeeId, templateIds);
  }

  committed(): void {
    // The faces were indexed by `prepare`.
  }

  async removeTemplate(employeeId: string, templateId: string): Promise<boolean> {
    await this.remote.removeFaces(employeeId, [templateId]);
    return true;
  }

  async removeEmployee(employeeId: string): Promise<number> {
    await this.remote.removeEmployee(employeeId);
    return 0;
  }

  setEligible(): void {
    // Eligibility lives in the store; the services check it after every match.
  }

  templateCount(): number {
    // Removal throws when the collection keeps a face, so nothing is left behind once it returns.
    return 0;
  }

  /** Runs a search; a photo the engine cannot search (no face, several faces) becomes a `retry`. */
  private async searched<T>(search: () => Promise<T>): Promise<T | { retry: ProbeIssue[] }> {
    try {
      return await search();
    } catch (error) {
      if (isFacegateError(error) && PHOTO_CODES.has(error.code)) {
        return { retry: [{ code: error.code, message: error.message }] };
      }
      throw error;
    }
  }

  /** Our head-pose limits on the engine's pose estimate (the other figures are on the engine's own scales). */
  private poseIssues(quality: RemoteFaceQuality | null): ProbeIssue[] {
    if (!quality) return [];
    const { limits } = this.options;
    const measures = {
      faceSize: limits.minFaceSize,
      sharpness: limits.minSharpness,
      brightness: (limits.minBrightness + limits.maxBrightness) / 2,
      cutOff: 0,
      pose: { yaw: quality.yaw, pitch: quality.pitch, roll: quality.roll },
    };
    return qualityIssues(measures, limits)
      .filter((i) => i.code === 'EXTREME_POSE')
      .map((i) => ({ code: i.code, message: i.message, value: i.value, threshold: i.threshold }));
  }
}
