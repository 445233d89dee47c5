import { randomBytes, randomUUID } from 'node:crypto';
import type { FaceSubject, FailedProbes } from '../auth/impostor-probes.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { cosine } from '../engine/embedder.js';
import type { SharedState, TimedEntry } from './shared-state.port.js';

/** Options of {@link SharedFailedProbes}. */
export interface SharedFailedProbesOptions {
  /** How long a probe is remembered. */
  ttlMs: number;
  /** Most probes held over all nodes (default 512). */
  capacity?: number;
  /** Seals each entry before it leaves the process, so the shared service never holds an embedding in clear. */
  cipher?: Pick<DataCipher, 'encrypt' | 'decrypt'>;
  key?: string;
}

interface Decoded {
  faceId: string;
  embedding: Float32Array;
  at: number;
  raw: Uint8Array;
}

const AAD = 'facegate-failed-probe';

/**
 * {@link FailedProbes} on shared state: recent failed probes of every node in one bounded timed set, each entry
 * an opaque (optionally sealed) encoding of face id and embedding, so a face failing at one node's door is
 * recognised as the same face at another's.
 */
export class SharedFailedProbes implements FailedProbes {
  private readonly key: string;
  private readonly capacity: number;

  constructor(
    private readonly state: SharedState,
    private readonly options: SharedFailedProbesOptions,
  ) {
    this.key = options.key ?? 'failed-probes';
    this.capacity = options.capacity ?? 512;
  }

  async match(embedding: Float32Array, minSimilarity: number, now: number): Promise<FaceSubject | undefined> {
    const held = await this.read(now - this.options.ttlMs + 1);
    let best: Decoded | undefined;
    let bestScore = minSimilarity;
    for (const entry of held) {
      if (entry.embedding.length !== embedding.length) continue;
      const score = cosine(entry.embedding, embedding);
      if (score >= bestScore) {
        best = entry;
        bestScore = score;
      }
    }
    const faceId = best?.faceId;
    const firstFailedAt = Math.min(...held.filter((e) => e.faceId === faceId).map((e) => e.at));
    for (const entry of held) entry.embedding.fill(0);
    return faceId === undefined ? undefined : { faceId, firstFailedAt };
  }

  async remember(embedding: Float32Array, faceId: string | undefined, now: number): Promise<string> {
    const id = faceId ?? randomUUID();
    await this.state.timedAdd(this.key, this.encode(id, embedding), now, {
      ttlMs: this.options.ttlMs,
      maxEntries: this.capacity,
    });
    return id;
  }

  async forget(faceId: string): Promise<void> {
    const held = await this.read(0);
    await this.state.timedRemove(
      this.key,
      held.filter((e) => e.faceId === faceId).map((e) => e.raw),
    );
    for (const entry of held) entry.embedding.fill(0);
  }

  private async read(since: number): Promise<Decoded[]> {
    const decoded: Decoded[] = [];
    for (const entry of await this.state.timedRange(this.key, since)) {
      const probe = this.decode(entry);
      if (probe) decoded.push(probe);
    }
    return decoded;
  }

  /** Layout: face id length (1 byte), face id (UTF-8), 8 random bytes (entries stay distinct), float32 LE. */
  private encode(faceId: string, embedding: Float32Array): Uint8Array {
    const id = Buffer.from(faceId, 'utf8');
    const vector = Buffer.alloc(embedding.length * 4);
    for (let i = 0; i < embedding.length; i++) vector.writeFloatLE(embedding[i] ?? 0, i * 4);
    const plain = Buffer.concat([Buffer.from([id.length]), id, randomBytes(8), vector]);
    if (!this.options.cipher) return plain;
    const sealed = this.options.cipher.encrypt(plain, AAD);
    plain.fill(0);
    vector.fill(0);
    return sealed;
  }

  /** An entry that cannot be opened (other key, foreign data) is ignored: it only ages out. */
  private decode({ entry, at }: TimedEntry): Decoded | undefined {
    let plain: Buffer;
    try {
      plain = Buffer.from(this.options.cipher ? this.options.cipher.decrypt(entry, AAD) : entry);
    } catch {
      return undefined;
    }
    const idLength = plain[0] ?? 0;
    const start = 1 + idLength + 8;
    if (plain.length < start || (plain.length - start) % 4 !== 0) return undefined;
    const embedding = new Float32Array((plain.length - start) / 4);
    for (let i = 0; i < embedding.length; i++) embedding[i] = plain.readFloatLE(start + i * 4);
    const faceId = plain.subarray(1, 1 + idLength).toString('utf8');
    plain.fill(0);
    return { faceId, embedding, at, raw: entry };
  }
}
