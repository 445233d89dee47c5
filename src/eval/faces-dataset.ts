import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FacegateError } from '../domain/errors.js';
import { seededRandom } from '../gallery/seeded-random.js';

/** One image of an evaluation folder, `<identity>/<file>`. */
export interface FaceImage {
  /** Path relative to the folder, always with `/`: `identity/file.jpg`. */
  rel: string;
  identity: string;
}

/** A verification pair (paths relative to the folder). */
export interface VerificationPair {
  a: string;
  b: string;
  same: boolean;
}

/** A pair of the LFW 10-fold-style protocol. */
export interface FoldPair extends VerificationPair {
  fold: number;
}

/** An evaluation folder read into memory (images and pair lists, no pixels). */
export interface FacesDataset {
  root: string;
  images: FaceImage[];
  identities: number;
  pairs: VerificationPair[];
  pairsSource: 'pairs.tsv' | 'generated';
  lfwPairs: FoldPair[] | null;
}

/** How to read an evaluation folder. */
export interface DatasetOptions {
  /** Keep at most this many images, whole identities in name order (pairs are filtered to them). */
  limit?: number;
  /** Seed of the generated impostor pairs. */
  seed?: number;
  /** Generated impostor pairs per genuine pair. */
  impostorRatio?: number;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|heic|heif|tiff?|avif|gif)$/i;
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Reads `<dir>/<identity>/<image>` plus the optional `pairs.tsv` (`a b same`) and `lfw_pairs.tsv`
 * (`a b same fold`). Without `pairs.tsv`, builds every genuine pair and seeded impostor pairs.
 */
export async function loadFacesDataset(dir: string, options: DatasetOptions = {}): Promise<FacesDataset> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new FacegateError('VALIDATION_FAILED', `Faces folder not found: ${dir}`, { dir });
  }
  const identities = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort(byName);
  let images: FaceImage[] = [];
  for (const identity of identities) {
    const files = (await readdir(join(dir, identity), { withFileTypes: true }))
      .filter((f) => f.isFile() && !f.name.startsWith('.') && IMAGE_EXT.test(f.name))
      .map((f) => f.name)
      .sort(byName);
    if (options.limit !== undefined && images.length > 0 && images.length + files.length > options.limit)
      break;
    images.push(...files.map((f) => ({ rel: `${identity}/${f}`, identity })));
  }
  if (options.limit !== undefined) images = images.slice(0, options.limit);
  if (images.length === 0) {
    throw new FacegateError('VALIDATION_FAILED', `No images in ${dir} (expected <identity>/<image>)`, {
      dir,
    });
  }
  const known = new Set(images.map((i) => i.rel));
  const limited = options.limit !== undefined;

  const pairsText = await readFile(join(dir, 'pairs.tsv'), 'utf8').catch(() => null);
  const pairs =
    pairsText === null
      ? generatePairs(images, options.seed ?? 20240601, options.impostorRatio ?? 20)
      : keepKnown(parsePairs(pairsText, 'pairs.tsv', false), known, limited, 'pairs.tsv');
  const lfwText = await readFile(join(dir, 'lfw_pairs.tsv'), 'utf8').catch(() => null);
  const lfwPairs =
    lfwText === null
      ? null
      : keepKnown(parsePairs(lfwText, 'lfw_pairs.tsv', true) as FoldPair[], known, limited, 'lfw_pairs.tsv');
  return {
    root: dir,
    images,
    identities: new Set(images.map((i) => i.identity)).size,
    pairs,
    pairsSource: pairsText === null ? 'generated' : 'pairs.tsv',
    lfwPairs: lfwPairs && lfwPairs.length > 0 ? lfwPairs : null,
  };
}

function keepKnown<T extends VerificationPair>(
  pairs: T[],
  known: Set<string>,
  limited: boolean,
  file: string,
): T[] {
  const missing = pairs.filter((p) => !known.has(p.a) || !known.has(p.b));
  if (missing.length > 0 && !limited) {
    const first = missing[0] as T;
    throw new FacegateError(
      'VALIDATION_FAILED',
      `${file}: ${missing.length} pair(s) name images that are not in the folder, e.g. "${known.has(first.a) ? first.b : first.a}"`,
      { file, missing: missing.length },
    );
  }
  return missing.length === 0 ? pairs : pairs.filter((p) => known.has(p.a) && known.has(p.b));
}

/** Parses a tab-separated pair list with a header naming the columns `a`, `b`, `same` (and `fold`). */
export function parsePairs(text: string, file: string, withFold: boolean): VerificationPair[] | FoldPair[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t').map((h) => h.trim().toLowerCase());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0)
      throw new FacegateError('VALIDATION_FAILED', `${file}: header has no "${name}" column`, { file });
    return i;
  };
  const [ia, ib, is] = [col('a'), col('b'), col('same')];
  const ifold = withFold ? col('fold') : -1;
  return lines.map((line, n) => {
    const cells = line.split('\t').map((c) => c.trim());
    const bad = (what: string): never => {
      throw new FacegateError('VALIDATION_FAILED', `${file} line ${n + 2}: ${what}`, { file, line: n + 2 });
    };
    const a = cells[ia] || bad('missing "a"');
    const b = cells[ib] || bad('missing "b"');
    const sameRaw = (cells[is] ?? '').toLowerCase();
    const same = ['1', 'true', 'yes'].includes(sameRaw)
      ? true
      : ['0', 'false', 'no'].includes(sameRaw)
        ? false
        : bad(`"same" must be 1 or 0, got "${sameRaw}"`);
    if (!withFold) return { a, b, same };
    const fold = Number(cells[ifold]);
    if (!Number.isInteger(fold)) bad(`"fold" must be an integer, got "${cells[ifold] ?? ''}"`);
    return { a, b, same, fold };
  });
}

/**
 * Every genuine pair (all image pairs within an identity) and `ratio` times as many impostor pairs drawn with a
 * seeded PRNG (distinct, never the same identity), or every impostor pair when fewer exist.
 */
export function generatePairs(images: readonly FaceImage[], seed: number, ratio: number): VerificationPair[] {
  const genuine: VerificationPair[] = [];
  const byId = new Map<string, string[]>();
  for (const img of images) byId.set(img.identity, [...(byId.get(img.identity) ?? []), img.rel]);
  for (const rels of byId.values()) {
    for (let i = 0; i < rels.length; i++) {
      for (let j = i + 1; j < rels.length; j++)
        genuine.push({ a: rels[i] as string, b: rels[j] as string, same: true });
    }
  }
  const n = images.length;
  const allPairs = (n * (n - 1)) / 2;
  const possible = allPairs - genuine.length;
  const wanted = Math.min(possible, Math.max(ratio * genuine.length, Math.min(1000, possible)));
  const rnd = seededRandom(seed);
  const impostors: VerificationPair[] = [];
  if (wanted * 2 >= possible) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const a = images[i] as FaceImage;
        const b = images[j] as FaceImage;
        if (a.identity !== b.identity) impostors.push({ a: a.rel, b: b.rel, same: false });
      }
    }
    for (let i = impostors.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [impostors[i], impostors[j]] = [impostors[j] as VerificationPair, impostors[i] as VerificationPair];
    }
    impostors.length = wanted;
  } else {
    const seen = new Set<string>();
    while (impostors.length < wanted) {
      let i = Math.floor(rnd() * n);
      let j = Math.floor(rnd() * n);
      if (i === j) continue;
      if (i > j) [i, j] = [j, i];
      const a = images[i] as FaceImage;
      const b = images[j] as FaceImage;
      const key = `${i}:${j}`;
      if (a.identity === b.identity || seen.has(key)) continue;
      seen.add(key);
      impostors.push({ a: a.rel, b: b.rel, same: false });
    }
  }
  return [...genuine, ...impostors];
}
