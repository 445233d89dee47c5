/**
 * Biometric accuracy metrics on similarity scores.
 *
 * Conventions used everywhere in this file:
 * - a score is a similarity (higher = more alike) and a comparison is accepted when `score >= threshold`;
 * - a comparison that could not be made (no face found) has the score `-Infinity`: a genuine pair with it is a
 *   false reject, an impostor pair with it a correct reject (never skipped); `NaN` is treated as `-Infinity`;
 * - FAR(t) = #{impostor >= t} / #impostor, TAR(t) = #{genuine >= t} / #genuine, FRR = 1 - TAR.
 */

/** One point of a ROC curve at one threshold. */
export interface RocPoint {
  threshold: number;
  far: number;
  tar: number;
}

/** The operating point at a FAR target. */
export interface OperatingPoint {
  /** Requested FAR. */
  targetFar: number;
  /**
   * The smallest float64 threshold whose FAR is at most `targetFar` (see {@link thresholdAtFar}); `null` when there
   * are no impostor scores.
   */
  threshold: number | null;
  /** FAR measured at `threshold` (≤ targetFar). */
  far: number;
  /** TAR measured at `threshold`. */
  tar: number;
  /** Impostor comparisons accepted at `threshold`. */
  falseAccepts: number;
}

/** Verification summary of genuine and impostor score arrays. */
export interface VerificationMetrics {
  genuine: number;
  impostor: number;
  auc: number;
  eer: number;
  /** Threshold at which FAR and FRR cross (the ROC point where the crossing was found). */
  eerThreshold: number | null;
  operatingPoints: OperatingPoint[];
}

const finite = (x: number): number => (Number.isNaN(x) ? Number.NEGATIVE_INFINITY : x);

/** Copies scores into a Float64Array sorted in descending order (NaN becomes -Infinity). */
export function sortDescending(scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = finite(scores[i] as number);
  out.sort();
  out.reverse();
  return out;
}

/** Number of elements `>= t` in a descending-sorted array (binary search). */
export function countAtLeast(sortedDesc: Float64Array, t: number): number {
  let lo = 0;
  let hi = sortedDesc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sortedDesc[mid] as number) >= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The smallest float64 strictly greater than `x`. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/**
 * Threshold at a FAR target. Rule: with N impostor scores and k = floor(targetFar · N) impostors allowed through,
 * the threshold is the smallest float64 t with #{impostor >= t} <= k, i.e. the next float above the (k+1)-th
 * highest impostor score (ties included: equal scores are all rejected together). Returns `null` without impostors
 * and `-Infinity` when k >= N (everything may pass).
 */
export function thresholdAtFar(impostorDesc: Float64Array, targetFar: number): number | null {
  const n = impostorDesc.length;
  if (n === 0) return null;
  const k = Math.floor(targetFar * n + 1e-9);
  if (k >= n) return Number.NEGATIVE_INFINITY;
  return nextUp(impostorDesc[k] as number);
}

/** Operating point (threshold, measured FAR and TAR) at a FAR target; inputs sorted descending. */
export function operatingPoint(
  genuineDesc: Float64Array,
  impostorDesc: Float64Array,
  targetFar: number,
): OperatingPoint {
  const threshold = thresholdAtFar(impostorDesc, targetFar);
  if (threshold === null) return { targetFar, threshold, far: 0, tar: 0, falseAccepts: 0 };
  const falseAccepts = countAtLeast(impostorDesc, threshold);
  return {
    targetFar,
    threshold,
    far: falseAccepts / impostorDesc.length,
    tar: genuineDesc.length === 0 ? 0 : countAtLeast(genuineDesc, threshold) / genuineDesc.length,
    falseAccepts,
  };
}

/**
 * ROC curve with one point per distinct score (descending thresholds), preceded by the point (FAR 0, TAR 0) at
 * threshold +Infinity. Tied scores of both classes move together, so ties give diagonal segments.
 */
export function rocCurve(genuine: ArrayLike<number>, impostor: ArrayLike<number>): RocPoint[] {
  const g = sortDescending(genuine);
  const im = sortDescending(impostor);
  const ng = Math.max(1, g.length);
  const ni = Math.max(1, im.length);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 }];
  let i = 0;
  let j = 0;
  while (i < g.length || j < im.length) {
    const gv = i < g.length ? (g[i] as number) : Number.NaN;
    const iv = j < im.length ? (im[j] as number) : Number.NaN;
    const v = Number.isNaN(gv) ? iv : Number.isNaN(iv) ? gv : Math.max(gv, iv);
    while (i < g.length && g[i] === v) i++;
    while (j < im.length && im[j] === v) j++;
    points.push({ threshold: v, far: j / ni, tar: i / ng });
  }
  return points;
}

/**
 * Equal error rate: where FAR and FRR cross, linearly interpolated between the two ROC points that bracket the
 * crossing. Returns the rate and the threshold of the first ROC point with FAR >= FRR.
 */
export function equalErrorRate(roc: RocPoint[]): { eer: number; threshold: number | null } {
  let prev: RocPoint | undefined;
  for (const p of roc) {
    const frr = 1 - p.tar;
    if (p.far >= frr) {
      if (!prev) return { eer: p.far, threshold: p.threshold };
      const dPrev = 1 - prev.tar - prev.far;
      const dHere = frr - p.far;
      const a = dPrev / (dPrev - dHere);
      return { eer: prev.far + a * (p.far - prev.far), threshold: p.threshold };
    }
    prev = p;
  }
  return { eer: 1, threshold: null };
}

/** Area under the ROC curve = P(genuine > impostor) + ½ P(genuine = impostor) (Mann–Whitney, sort-based). */
export function areaUnderCurve(genuine: ArrayLike<number>, impostor: ArrayLike<number>): number {
  if (genuine.length === 0 || impostor.length === 0) return Number.NaN;
  const g = sortDescending(genuine).reverse();
  const im = sortDescending(impostor).reverse();
  let below = 0;
  let wins = 0;
  for (let k = 0; k < g.length; ) {
    const v = g[k] as number;
    let count = 0;
    while (k < g.length && g[k] === v) {
      k++;
      count++;
    }
    while (below < im.length && (im[below] as number) < v) below++;
    let equal = 0;
    while (below + equal < im.length && im[below + equal] === v) equal++;
    wins += count * (below + equal / 2);
  }
  return wins / (g.length * im.length);
}

/** The FAR targets every report carries. */
export const STANDARD_FARS = [1e-2, 1e-3, 1e-4] as const;

/** Computes AUC, EER and the operating points at each FAR target from raw genuine/impostor scores. */
export function verificationMetrics(
  genuine: ArrayLike<number>,
  impostor: ArrayLike<number>,
  fars: readonly number[] = STANDARD_FARS,
): VerificationMetrics {
  const g = sortDescending(genuine);
  const im = sortDescending(impostor);
  const { eer, threshold } = equalErrorRate(rocCurve(g, im));
  return {
    genuine: g.length,
    impostor: im.length,
    auc: areaUnderCurve(g, im),
    eer,
    eerThreshold: threshold,
    operatingPoints: fars.map((far) => operatingPoint(g, im, far)),
  };
}

/** A scored pair of the LFW 10-fold-style protocol. */
export interface FoldedPair {
  score: number;
  same: boolean;
  fold: number;
}

/** Result on one held-out fold. */
export interface FoldResult {
  fold: number;
  threshold: number;
  accuracy: number;
  pairs: number;
}

/** LFW-protocol result: mean and sample standard deviation (n − 1) of the per-fold accuracies. */
export interface LfwResult {
  accuracy: number;
  std: number;
  folds: FoldResult[];
}

/**
 * Threshold maximising accuracy on `pairs` (accept = score >= t). The threshold is the midpoint between the last
 * accepted and the first rejected distinct score; among equally good splits the middle one is taken.
 */
export function bestAccuracyThreshold(pairs: readonly { score: number; same: boolean }[]): number {
  const sorted = pairs
    .map((p) => ({ score: finite(p.score), same: p.same }))
    .sort((a, b) => b.score - a.score || 0);
  let correct = sorted.reduce((n, p) => n + (p.same ? 0 : 1), 0);
  let best = correct;
  // splits[s] = number of leading (highest) distinct-score groups accepted
  const bestSplits: number[] = [0];
  const groupEnds: number[] = [];
  for (let k = 0; k < sorted.length; ) {
    const v = sorted[k]?.score;
    while (k < sorted.length && sorted[k]?.score === v) {
      correct += sorted[k]?.same ? 1 : -1;
      k++;
    }
    groupEnds.push(k);
    if (correct > best) {
      best = correct;
      bestSplits.length = 0;
      bestSplits.push(groupEnds.length);
    } else if (correct === best) bestSplits.push(groupEnds.length);
  }
  const split = bestSplits[Math.floor((bestSplits.length - 1) / 2)] ?? 0;
  if (split === 0) return nextUp(sorted[0]?.score ?? 0);
  const lastAccepted = sorted[(groupEnds[split - 1] as number) - 1]?.score as number;
  const firstRejected = sorted[groupEnds[split - 1] as number]?.score;
  if (firstRejected === undefined || !Number.isFinite(firstRejected) || !Number.isFinite(lastAccepted)) {
    return lastAccepted;
  }
  const mid = (lastAccepted + firstRejected) / 2;
  return mid > firstRejected && mid <= lastAccepted ? mid : lastAccepted;
}

/**
 * LFW 10-fold-style protocol: for each fold, the threshold that maximises accuracy on all other folds is applied
 * to the held-out fold. Reports the mean and the sample standard deviation of the held-out accuracies.
 */
export function lfwProtocol(pairs: readonly FoldedPair[]): LfwResult {
  const foldIds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  if (foldIds.length < 2) throw new Error('The LFW protocol needs at least two folds');
  const folds = foldIds.map((fold) => {
    const test = pairs.filter((p) => p.fold === fold);
    const threshold = bestAccuracyThreshold(pairs.filter((p) => p.fold !== fold));
    const right = test.filter((p) => finite(p.score) >= threshold === p.same).length;
    return { fold, threshold, accuracy: test.length === 0 ? 0 : right / test.length, pairs: test.length };
  });
  const mean = folds.reduce((s, f) => s + f.accuracy, 0) / folds.length;
  const variance = folds.reduce((s, f) => s + (f.accuracy - mean) ** 2, 0) / (folds.length - 1);
  return { accuracy: mean, std: Math.sqrt(variance), folds };
}

/** One image of an open-set study: its identity, its name (for ordering) and its embedding (null = no face). */
export interface OpenSetImage {
  identity: string;
  name: string;
  embedding: Float32Array | null;
}

/** Gallery/probe split of the open-set protocol. */
export interface OpenSetSplit {
  gallery: OpenSetImage[];
  mated: OpenSetImage[];
  nonMated: OpenSetImage[];
}

/**
 * Open-set split: the gallery holds the first image (by name) of every identity with at least two images, the
 * other images of those identities are mated probes, and identities with a single image are non-mated probes.
 */
export function openSetSplit(images: readonly OpenSetImage[]): OpenSetSplit {
  const byId = new Map<string, OpenSetImage[]>();
  for (const img of images) {
    const list = byId.get(img.identity) ?? [];
    list.push(img);
    byId.set(img.identity, list);
  }
  const split: OpenSetSplit = { gallery: [], mated: [], nonMated: [] };
  for (const identity of [...byId.keys()].sort()) {
    const list = (byId.get(identity) ?? [])
      .slice()
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (list.length === 1) split.nonMated.push(list[0] as OpenSetImage);
    else {
      split.gallery.push(list[0] as OpenSetImage);
      split.mated.push(...list.slice(1));
    }
  }
  return split;
}

/** Outcome of searching one probe in the gallery. */
export interface ProbeSearch {
  identity: string;
  mated: boolean;
  /** Best-scoring gallery identity, null when the probe has no face or the gallery is empty. */
  best: string | null;
  /** Score of the best identity (max over its templates); -Infinity without a face. */
  top1: number;
  /** Score of the second-best identity; -Infinity when there is none. */
  top2: number;
}

/**
 * Searches every probe in the gallery like the matcher does: the score of an identity is the maximum cosine
 * (dot product of unit vectors) over its templates; returns the best and second-best identity scores.
 */
export function searchProbes(split: OpenSetSplit): ProbeSearch[] {
  const templates = split.gallery.filter((g) => g.embedding !== null);
  const ids = [...new Set(templates.map((t) => t.identity))];
  const idIndex = new Map(ids.map((id, i) => [id, i]));
  const dim = templates[0]?.embedding?.length ?? 0;
  const matrix = new Float32Array(templates.length * dim);
  const owner = new Int32Array(templates.length);
  templates.forEach((t, i) => {
    matrix.set(t.embedding as Float32Array, i * dim);
    owner[i] = idIndex.get(t.identity) as number;
  });
  const perId = new Float64Array(ids.length);
  const search = (probe: OpenSetImage, mated: boolean): ProbeSearch => {
    const none = { identity: probe.identity, mated, best: null, top1: -Infinity, top2: -Infinity };
    const e = probe.embedding;
    if (!e || ids.length === 0) return none;
    if (e.length !== dim) throw new Error(`Embedding dimension ${e.length} differs from gallery ${dim}`);
    perId.fill(-Infinity);
    for (let t = 0; t < templates.length; t++) {
      let s = 0;
      const base = t * dim;
      for (let d = 0; d < dim; d++) s += (matrix[base + d] as number) * (e[d] as number);
      const o = owner[t] as number;
      if (s > (perId[o] as number)) perId[o] = s;
    }
    let b1 = -1;
    let s1 = -Infinity;
    let s2 = -Infinity;
    for (let k = 0; k < ids.length; k++) {
      const s = perId[k] as number;
      if (s > s1) {
        s2 = s1;
        s1 = s;
        b1 = k;
      } else if (s > s2) s2 = s;
    }
    return { identity: probe.identity, mated, best: ids[b1] ?? null, top1: s1, top2: s2 };
  };
  return [...split.mated.map((p) => search(p, true)), ...split.nonMated.map((p) => search(p, false))];
}

/** Open-set rates at one decision rule (threshold + margin). */
export interface OpenSetRates {
  threshold: number;
  margin: number;
  /** Non-mated probes accepted as someone (false positive identification rate). */
  fpir: number;
  /** Mated probes not accepted as their own identity (below threshold/margin, wrong identity or no face). */
  fnir: number;
  /** Mated probes accepted as a wrong identity (a misidentification that lets the wrong person in). */
  matedWrongAccept: number;
}

/** Whether the matcher accepts its best candidate under the rule score >= threshold and gap >= margin. */
export function accepts(p: ProbeSearch, threshold: number, margin: number): boolean {
  return p.best !== null && p.top1 >= threshold && p.top1 - p.top2 >= margin;
}

/** FPIR, FNIR and mated misidentification at a threshold and margin. */
export function openSetRates(results: readonly ProbeSearch[], threshold: number, margin = 0): OpenSetRates {
  let mated = 0;
  let nonMated = 0;
  let falsePositive = 0;
  let hits = 0;
  let wrong = 0;
  for (const p of results) {
    const ok = accepts(p, threshold, margin);
    if (p.mated) {
      mated++;
      if (ok && p.best === p.identity) hits++;
      else if (ok) wrong++;
    } else {
      nonMated++;
      if (ok) falsePositive++;
    }
  }
  return {
    threshold,
    margin,
    fpir: nonMated === 0 ? 0 : falsePositive / nonMated,
    fnir: mated === 0 ? 0 : 1 - hits / mated,
    matedWrongAccept: mated === 0 ? 0 : wrong / mated,
  };
}

/** Rank-1 identification rate over mated probes (probes without a face count as misses). */
export function rankOneRate(results: readonly ProbeSearch[]): number {
  const mated = results.filter((p) => p.mated);
  return mated.length === 0 ? 0 : mated.filter((p) => p.best === p.identity).length / mated.length;
}

/**
 * Threshold giving FPIR <= target under a margin, by the {@link thresholdAtFar} rule applied to the non-mated
 * probes' top scores (probes the margin already rejects count as -Infinity).
 */
export function thresholdAtFpir(
  results: readonly ProbeSearch[],
  targetFpir: number,
  margin = 0,
): number | null {
  const scores = results
    .filter((p) => !p.mated)
    .map((p) => (p.best !== null && p.top1 - p.top2 >= margin ? p.top1 : Number.NEGATIVE_INFINITY));
  return thresholdAtFar(sortDescending(scores), targetFpir);
}
