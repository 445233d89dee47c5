import {
  AssociateFacesCommand,
  type BoundingBox,
  CompareFacesCommand,
  CreateCollectionCommand,
  CreateUserCommand,
  DeleteFacesCommand,
  DeleteUserCommand,
  DescribeCollectionCommand,
  DisassociateFacesCommand,
  type FaceDetail,
  IndexFacesCommand,
  type IndexFacesCommandOutput,
  ListFacesCommand,
  type QualityFilter,
  type RekognitionClient,
  SearchUsersByImageCommand,
  type SearchUsersByImageCommandOutput,
} from '@aws-sdk/client-rekognition';
import { FacegateError } from '../../domain/errors.js';
import { MULTIPLE_FACES_RATIO } from '../../engine/quality.js';
import type {
  MatchThreshold,
  RemoteCandidate,
  RemoteEnrolment,
  RemoteEnrolOptions,
  RemoteFaceMatcher,
  RemoteFaceQuality,
  RemoteRefusal,
  RemoteSearch,
  RemoteVerification,
} from '../../services/remote-face-matcher.port.js';
import { required } from '../../util/checked-access.js';
import { mapRekognitionError, type RetryOptions, withRetry } from './rekognition-errors.js';
import { refusalsFor } from './rekognition-reasons.js';
import { REKOGNITION_SIMILARITY, similarityFor } from './rekognition-thresholds.js';

/** Settings of {@link RekognitionFaceMatcher}. */
export interface RekognitionMatcherOptions {
  client: RekognitionClient;
  collectionId: string;
  /** Rekognition's own quality gate on indexing and search; `AUTO` by default. */
  qualityFilter?: QualityFilter;
  /** How many users a search may return (1–500); verification reads this many to find the claimed one. */
  maxUsers?: number;
  retry?: Partial<RetryOptions>;
}

/** Rekognition limits a DeleteFaces call to this many ids. */
const DELETE_BATCH = 4096;
/** Rekognition limits an AssociateFaces / DisassociateFaces call to this many ids. */
const DISASSOCIATE_BATCH = 100;

function qualityOf(detail: FaceDetail | undefined): RemoteFaceQuality | null {
  if (!detail) return null;
  return {
    faceWidthRatio: detail.BoundingBox?.Width ?? 0,
    brightness: (detail.Quality?.Brightness ?? 0) / 100,
    sharpness: (detail.Quality?.Sharpness ?? 0) / 100,
    yaw: detail.Pose?.Yaw ?? 0,
    pitch: detail.Pose?.Pitch ?? 0,
    roll: detail.Pose?.Roll ?? 0,
    detectorScore: (detail.Confidence ?? 0) / 100,
  };
}

/** Our `MULTIPLE_FACES` rule on Rekognition's boxes: another face at least half the main one's width. */
function rivalFace(
  main: BoundingBox | undefined,
  others: ReadonlyArray<BoundingBox | undefined>,
): number | null {
  const width = main?.Width ?? 0;
  if (width <= 0) return null;
  const rival = Math.max(0, ...others.map((box) => (box?.Width ?? 0) / width));
  return rival >= MULTIPLE_FACES_RATIO ? rival : null;
}

function multipleFaces(rival: number): RemoteRefusal {
  return {
    code: 'MULTIPLE_FACES',
    source: 'EXCEEDS_MAX_FACES',
    message: `Another face is ${Math.round(rival * 100)} % the size of the main one`,
  };
}

/**
 * {@link RemoteFaceMatcher} on an Amazon Rekognition collection. Each employee is a Rekognition user whose id is
 * the employee id; each enrolled photo is one face (`ExternalImageId` = employee id) associated with that user.
 */
export class RekognitionFaceMatcher implements RemoteFaceMatcher {
  readonly engine = 'rekognition';
  private readonly client: RekognitionClient;
  private readonly collectionId: string;
  private readonly qualityFilter: QualityFilter;
  private readonly maxUsers: number;
  private readonly retry: RetryOptions;

  constructor(options: RekognitionMatcherOptions) {
    this.client = options.client;
    this.collectionId = options.collectionId;
    this.qualityFilter = options.qualityFilter ?? 'AUTO';
    this.maxUsers = Math.min(500, Math.max(1, options.maxUsers ?? 50));
    this.retry = { attempts: 4, baseDelayMs: 100, ...options.retry };
  }

  /** Sends one command with retries on throttling, mapping image errors to our codes. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(send, this.retry);
    } catch (error) {
      throw mapRekognitionError(error);
    }
  }

  async ensureGallery(): Promise<void> {
    try {
      await withRetry(
        () => this.client.send(new DescribeCollectionCommand({ CollectionId: this.collectionId })),
        this.retry,
      );
      return;
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException')
        throw mapRekognitionError(error);
    }
    try {
      await withRetry(
        () => this.client.send(new CreateCollectionCommand({ CollectionId: this.collectionId })),
        this.retry,
      );
    } catch (error) {
      // Another cold start created it first.
      if (!(error instanceof Error) || error.name !== 'ResourceAlreadyExistsException')
        throw mapRekognitionError(error);
    }
  }

  async enrol(
    employeeId: string,
    photo: Uint8Array,
    options: RemoteEnrolOptions = {},
  ): Promise<RemoteEnrolment> {
    if (!options.force) {
      const other = await this.duplicateOf(employeeId, photo);
      if (other) return { status: 'refused', reasons: [other] };
    }
    const indexed = await this.call(() =>
      this.client.send(
        new IndexFacesCommand({
          CollectionId: this.collectionId,
          Image: { Bytes: photo },
          ExternalImageId: employeeId,
          MaxFaces: 1,
          QualityFilter: this.qualityFilter,
          DetectionAttributes: ['DEFAULT'],
        }),
      ),
    );
    const record = indexed.FaceRecords?.[0];
    const faceId = record?.Face?.FaceId;
    if (!record || !faceId) return { status: 'refused', reasons: refusalsFor(indexed.UnindexedFaces ?? []) };
    const rival = this.rivalOnIndex(indexed);
    if (rival !== null) {
      await this.deleteFaces([faceId]);
      return { status: 'refused', reasons: [multipleFaces(rival)] };
    }
    await this.associate(employeeId, faceId);
    return {
      status: 'enrolled',
      faceId,
      quality: required(qualityOf(record.FaceDetail ?? {}), 'qualityOf(record.FaceDetail ?? {})'),
      modelVersion: indexed.FaceModelVersion ?? null,
    };
  }

  private rivalOnIndex(indexed: IndexFacesCommandOutput): number | null {
    const main = indexed.FaceRecords?.[0]?.FaceDetail?.BoundingBox;
    const others = (indexed.UnindexedFaces ?? [])
      .filter((face) => face.Reasons?.includes('EXCEEDS_MAX_FACES'))
      .map((face) => face.FaceDetail?.BoundingBox);
    return rivalFace(main, others);
  }

  /** Our `DUPLICATE_FACE` rule: the photo already matches another employee at the strict similarity. */
  private async duplicateOf(employeeId: string, photo: Uint8Array): Promise<RemoteRefusal | null> {
    let found: RemoteSearch;
    try {
      found = await this.identify(photo, 'strict');
    } catch (error) {
      // A photo Rekognition cannot search is judged by IndexFaces, which reports why.
      if (error instanceof FacegateError && (error.code === 'NO_FACE' || error.code === 'MULTIPLE_FACES'))
        return null;
      throw error;
    }
    const other = found.candidates.find((c) => c.employeeId !== employeeId);
    if (!other) return null;
    return {
      code: 'DUPLICATE_FACE',
      source: 'SearchUsersByImage',
      message: `Face matches another employee (similarity ${other.similarity.toFixed(1)})`,
      employeeId: other.employeeId,
    };
  }

  /** Makes the employee a Rekognition user (once) and associates the face; undoes the face on refusal. */
  private async associate(employeeId: string, faceId: string): Promise<void> {
    try {
      await this.call(() =>
        this.client.send(
          new CreateUserCommand({
            CollectionId: this.collectionId,
            UserId: employeeId,
            ClientRequestToken: `user-${employeeId}`.slice(0, 64),
          }),
        ),
      );
    } catch (error) {
      // The user exists already (a second photo of the same employee).
      const cause = error instanceof FacegateError ? error.cause : error;
      if (!(cause instanceof Error) || cause.name !== 'ConflictException') throw error;
    }
    const out = await this.call(() =>
      this.client.send(
        new AssociateFacesCommand({
          CollectionId: this.collectionId,
          UserId: employeeId,
          FaceIds: [faceId],
          ClientRequestToken: `assoc-${faceId}`.slice(0, 64),
        }),
      ),
    );
    const failed = out.UnsuccessfulFaceAssociations?.[0];
    if (failed) {
      await this.deleteFaces([faceId]);
      throw new FacegateError('CONFLICT', 'Rekognition refused to associate the face with the employee', {
        reasons: failed.Reasons ?? [],
      });
    }
  }

  private async search(photo: Uint8Array, similarity: number): Promise<SearchUsersByImageCommandOutput> {
    const out = await this.call(() =>
      this.client.send(
        new SearchUsersByImageCommand({
          CollectionId: this.collectionId,
          Image: { Bytes: photo },
          UserMatchThreshold: similarity,
          MaxUsers: this.maxUsers,
          QualityFilter: this.qualityFilter,
        }),
      ),
    );
    const rival = rivalFace(
      out.SearchedFace?.FaceDetail?.BoundingBox,
      (out.UnsearchedFaces ?? []).map((face) => face.FaceDetails?.BoundingBox),
    );
    if (rival !== null) {
      throw new FacegateError('MULTIPLE_FACES', multipleFaces(rival).message, {
        value: rival,
        threshold: MULTIPLE_FACES_RATIO,
      });
    }
    return out;
  }

  async identify(photo: Uint8Array, threshold: MatchThreshold): Promise<RemoteSearch> {
    const similarity = similarityFor(threshold);
    const out = await this.search(photo, similarity);
    const candidates: RemoteCandidate[] = [];
    for (const match of out.UserMatches ?? []) {
      const id = match.User?.UserId;
      const score = match.Similarity ?? 0;
      if (!id || score < similarity) continue;
      candidates.push({ employeeId: id, similarity: score, score: score / 100 });
    }
    candidates.sort((a, b) => b.similarity - a.similarity);
    return { candidates, similarity, quality: qualityOf(out.SearchedFace?.FaceDetail) };
  }

  /** A search restricted to the claimed employee: the claimed user's similarity among the results. */
  async verify(
    employeeId: string,
    photo: Uint8Array,
    threshold: MatchThreshold,
  ): Promise<RemoteVerification> {
    const similarity = similarityFor(threshold);
    const found = await this.identify(photo, {
      similarity: Math.min(similarity, REKOGNITION_SIMILARITY.lenient),
    });
    const claimed = found.candidates.find((c) => c.employeeId === employeeId);
    const claimedSimilarity = claimed?.similarity ?? 0;
    const betterOther =
      found.candidates.find((c) => c.employeeId !== employeeId && c.similarity > claimedSimilarity) ?? null;
    return {
      match: claimedSimilarity >= similarity,
      similarity: claimedSimilarity,
      score: claimedSimilarity / 100,
      betterOther,
      threshold: similarity,
    };
  }

  /** 1:1 against a kept photo with `CompareFaces` (no collection involved). */
  async compare(
    probe: Uint8Array,
    reference: Uint8Array,
    threshold: MatchThreshold,
  ): Promise<{ match: boolean; similarity: number }> {
    const similarity = similarityFor(threshold);
    const out = await this.call(() =>
      this.client.send(
        new CompareFacesCommand({
          SourceImage: { Bytes: reference },
          TargetImage: { Bytes: probe },
          SimilarityThreshold: similarity,
          QualityFilter: this.qualityFilter,
        }),
      ),
    );
    const best = Math.max(0, ...(out.FaceMatches ?? []).map((m) => m.Similarity ?? 0));
    return { match: best >= similarity, similarity: best };
  }

  /** Rekognition refuses to delete a face still associated with a user, so it is disassociated first. */
  async removeFaces(employeeId: string, faceIds: readonly string[]): Promise<void> {
    for (let i = 0; i < faceIds.length; i += DISASSOCIATE_BATCH) {
      const batch = faceIds.slice(i, i + DISASSOCIATE_BATCH);
      await this.call(() =>
        this.client.send(
          new DisassociateFacesCommand({
            CollectionId: this.collectionId,
            UserId: employeeId,
            FaceIds: [...batch],
          }),
        ),
      );
    }
    await this.deleteFaces(faceIds);
  }

  /**
   * Finds every face indexed for the employee (associated or not, by a full listing of the collection), deletes
   * the user (which releases its faces), then the faces.
   */
  async removeEmployee(employeeId: string): Promise<void> {
    const faceIds: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new ListFacesCommand({ CollectionId: this.collectionId, MaxResults: 4096, NextToken: token }),
        ),
      );
      for (const face of page.Faces ?? []) {
        if (face.FaceId && (face.ExternalImageId === employeeId || face.UserId === employeeId))
          faceIds.push(face.FaceId);
      }
      token = page.NextToken;
    } while (token);
    try {
      await this.call(() =>
        this.client.send(
          new DeleteUserCommand({
            CollectionId: this.collectionId,
            UserId: employeeId,
            ClientRequestToken: `del-${employeeId}`.slice(0, 64),
          }),
        ),
      );
    } catch (error) {
      // Never enrolled, or already erased.
      if (!(error instanceof FacegateError && error.code === 'NOT_READY')) throw error;
    }
    await this.deleteFaces(faceIds);
  }

  private async deleteFaces(faceIds: readonly string[]): Promise<void> {
    for (let i = 0; i < faceIds.length; i += DELETE_BATCH) {
      const batch = faceIds.slice(i, i + DELETE_BATCH);
      const out = await this.call(() =>
        this.client.send(new DeleteFacesCommand({ CollectionId: this.collectionId, FaceIds: [...batch] })),
      );
      const failed = (out.UnsuccessfulFaceDeletions ?? []).filter(
        (f) => !f.Reasons?.includes('FACE_NOT_FOUND'),
      );
      if (failed.length > 0) {
        throw new FacegateError('INTERNAL', 'Rekognition did not delete some faces', {
          faceIds: failed.map((f) => f.FaceId),
          reasons: failed.flatMap((f) => f.Reasons ?? []),
        });
      }
    }
  }
}
