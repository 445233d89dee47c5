import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FacegateError } from '../domain/errors.js';
import type { EngineInfo } from '../engine/face-engine.port.js';

/** What the engine produced for one image. */
export interface CachedEmbedding {
  rel: string;
  /** SHA-256 of the file bytes: an edited file is embedded again. */
  sha256: string;
  /** L2-normalised embedding, null when no face was found (or the image was refused). */
  embedding: Float32Array | null;
  /** Error code when there is no embedding, e.g. `NO_FACE`. */
  error: string | null;
  /** Faces found in the image. */
  faces: number;
  /** Engine time for the image (ms), null when unknown. */
  ms: number | null;
}

/** Settings that change embeddings beyond the engine's identity. */
export interface CacheSettings {
  embedder: string;
  flip: boolean;
  minFaceSize: number | null;
}

interface CacheHeader {
  kind: 'facegate-embedding-cache';
  format: 1;
  engine: EngineInfo;
  settings: CacheSettings;
}

interface CacheLine {
  rel: string;
  sha256: string;
  embedding: string | null;
  error: string | null;
  faces: number;
  ms: number | null;
}

const encode = (v: Float32Array): string =>
  Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const decode = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
};

/**
 * Append-only JSON-lines store of embeddings (first line = engine identity and settings), so that re-runs with
 * other scoring are fast and an interrupted run resumes. A cache written by another model is refused.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, CachedEmbedding>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly engine: EngineInfo,
    readonly settings: CacheSettings,
  ) {}

  /**
   * Opens (or creates) a cache file for this engine and settings.
   * Throws `MODEL_MISMATCH` when the file was written by another model, version or setting.
   */
  static async open(file: string, engine: EngineInfo, settings: CacheSettings): Promise<EmbeddingCache> {
    const cache = new EmbeddingCache(file, engine, settings);
    if (!existsSync(file)) {
      await mkdir(dirname(file), { recursive: true });
      const header: CacheHeader = { kind: 'facegate-embedding-cache', format: 1, engine, settings };
      await writeFile(file, `${JSON.stringify(header)}\n`, { flag: 'wx' });
      return cache;
    }
    const lines = readFileSync(file, 'utf8').split('\n');
    const header = parseHeader(lines[0] ?? '', file);
    const wanted = { engine, settings };
    const found = { engine: header.engine, settings: header.settings };
    if (JSON.stringify(canonical(wanted)) !== JSON.stringify(canonical(found))) {
      throw new FacegateError(
        'MODEL_MISMATCH',
        `Embedding cache ${file} was written by ${describe(header.engine, header.settings)}, ` +
          `not ${describe(engine, settings)}; use another --cache file`,
        { file, cached: found, current: wanted },
      );
    }
    for (const line of lines.slice(1)) {
      if (line.trim() === '') continue;
      let row: CacheLine;
      try {
        row = JSON.parse(line) as CacheLine;
      } catch {
        continue; // a torn last line from an interrupted run is simply recomputed
      }
      cache.entries.set(row.rel, {
        rel: row.rel,
        sha256: row.sha256,
        embedding: row.embedding === null ? null : decode(row.embedding),
        error: row.error,
        faces: row.faces,
        ms: row.ms,
      });
    }
    return cache;
  }

  /** Number of cached images. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached result for `rel` if it was computed from the same bytes. */
  get(rel: string, sha256: string): CachedEmbedding | undefined {
    const hit = this.entries.get(rel);
    return hit && hit.sha256 === sha256 ? hit : undefined;
  }

  /** Records a result (appended to the file in order). */
  put(entry: CachedEmbedding): Promise<void> {
    this.entries.set(entry.rel, entry);
    const line: CacheLine = {
      rel: entry.rel,
      sha256: entry.sha256,
      embedding: entry.embedding ? encode(entry.embedding) : null,
      error: entry.error,
      faces: entry.faces,
      ms: entry.ms,
    };
    this.writes = this.writes.then(() => appendFile(this.file, `${JSON.stringify(line)}\n`));
    return this.writes;
  }

  /** Waits for pending appends. */
  flush(): Promise<void> {
    return this.writes;
  }
}

/** Reads a cache file without an engine (offline scoring); returns its header and entries. */
export function readEmbeddingCache(file: string): {
  engine: EngineInfo;
  settings: CacheSettings;
  entries: Map<string, CachedEmbedding>;
} {
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = parseHeader(lines[0] ?? '', file);
  const entries = new Map<string, CachedEmbedding>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    try {
      const row = JSON.parse(line) as CacheLine;
      entries.set(row.rel, { ...row, embedding: row.embedding === null ? null : decode(row.embedding) });
    } catch {
      // torn last line
    }
  }
  return { engine: header.engine, settings: header.settings, entries };
}

function parseHeader(line: string, file: string): CacheHeader {
  try {
    const header = JSON.parse(line) as CacheHeader;
    if (header.kind === 'facegate-embedding-cache' && header.format === 1) return header;
  } catch {
    // fall through
  }
  throw new FacegateError('VALIDATION_FAILED', `${file} is not a facegate embedding cache`, { file });
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function describe(engine: EngineInfo, settings: CacheSettings): string {
  return `${engine.engine}/${engine.model}@${engine.version} (embedder ${settings.embedder}, flip ${settings.flip ? 'on' : 'off'})`;
}
