import { randomUUID } from 'node:crypto';
import { cosine } from '../engine/embedder.js';

/**
 * Embeddings of recent failed probes, grouped into "face subjects" so that one unknown face that keeps trying is
 * counted against itself rather than against the door. Never persisted; in memory on one node.
 */
export interface FailedProbes {
  /** Face subject of the closest remembered probe with cosine ≥ `minSimilarity`, or undefined. */
  match(embedding: Float32Array, minSimilarity: number, now: number): Promise<FaceSubject | undefined>;
  /** Remembers a failed probe under `faceId` (a new face subject when undefined); returns the face id. */
  remember(embedding: Float32Array, faceId: string | undefined, now: number): Promise<string>;
  /** Drops every probe of a face subject. */
  forget(faceId: string): Promise<void>;
}

/** A face that failed recently. */
export interface FaceSubject {
  faceId: string;
  /** When its earliest remembered probe failed (epoch ms): the failure that counted against the door. */
  firstFailedAt: number;
}

interface Remembered {
  faceId: string;
  embedding: Float32Array;
  at: number;
}

/** In-process {@link FailedProbes}: at most `capacity` probes, each forgotten after `ttlMs`. */
export class MemoryFailedProbes implements FailedProbes {
  private entries: Remembered[] = [];

  constructor(
    private readonly ttlMs: number,
    private readonly capacity = 512,
  ) {}

  async match(embedding: Float32Array, minSimilarity: number, now: number): Promise<FaceSubject | undefined> {
    this.expire(now);
    let best: Remembered | undefined;
    let bestScore = minSimilarity;
    for (const entry of this.entries) {
      if (entry.embedding.length !== embedding.length) continue;
      const score = cosine(entry.embedding, embedding);
      if (score >= bestScore) {
        best = entry;
        bestScore = score;
      }
    }
    if (!best) return undefined;
    const faceId = best.faceId;
    const firstFailedAt = Math.min(...this.entries.filter((e) => e.faceId === faceId).map((e) => e.at));
    return { faceId, firstFailedAt };
  }

  async forget(faceId: string): Promise<void> {
    for (const e of this.entries) if (e.faceId === faceId) forget(e);
    this.entries = this.entries.filter((e) => e.faceId !== faceId);
  }

  async remember(embedding: Float32Array, faceId: string | undefined, now: number): Promise<string> {
    this.expire(now);
    const id = faceId ?? randomUUID();
    this.entries.push({ faceId: id, embedding: Float32Array.from(embedding), at: now });
    while (this.entries.length > this.capacity) forget(this.entries.shift());
    return id;
  }

  /** Probes held now (for tests). */
  get size(): number {
    return this.entries.length;
  }

  private expire(now: number): void {
    const live = this.entries.filter((e) => e.at > now - this.ttlMs);
    if (live.length === this.entries.length) return;
    for (const e of this.entries) if (e.at <= now - this.ttlMs) forget(e);
    this.entries = live;
  }
}

/** Overwrites a dropped embedding, so no copy outlives its time to live in this process's heap. */
function forget(entry: Remembered | undefined): void {
  entry?.embedding.fill(0);
}
