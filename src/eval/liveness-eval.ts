import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { FaceEngine } from '../engine/face-engine.port.js';
import { observedActions } from '../liveness/action-sequence.js';
import type { LivenessChallenge } from '../liveness/challenge.js';
import { HEAD_ROTATIONS, LIVENESS_ACTIONS, type LivenessAction } from '../liveness/challenge.js';
import type { FrLivenessModel } from '../liveness/fr-liveness.model.js';
import { decodeKeyFrames, type KeyFrame } from '../liveness/frame-decoder.js';
import { type FrameObservation, isFacelessFrame, observeAnalysis } from '../liveness/frame-observation.js';
import { heldPhotoFrames } from '../liveness/held-photo-frames.js';
import {
  identityFrames,
  keyFrames,
  type LivenessVerdict,
  LivenessVerifier,
  needsAllFrames,
} from '../liveness/liveness.verifier.js';
import type { PlanarPose } from '../liveness/perspective-warp.js';
import { at, required } from '../util/checked-access.js';
import { areaUnderCurve } from './metrics.js';

const VIDEO = new Set(['.mp4', '.webm', '.avi', '.gif', '.mov', '.mkv']);
const STILL = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const ISSUED_AT = 1_000_000;
const STILL_STEP_MS = 250;

/** Options of {@link evaluateLiveness}. */
export interface LivenessEvalOptions {
  /** Key frames per clip. */
  frames: number;
  /** Longest side of decoded clip frames and of warped stills. */
  maxSide: number;
  verifier?: LivenessVerifier;
  /** Also score each still with this passive model (its AUC goes in the report). */
  passive?: FrLivenessModel;
  onItem?: (name: string) => void;
}

/** One presentation and what the verifier made of it. */
export interface PresentationResult {
  file: string;
  label: 'live' | 'spoof';
  kind: 'clip' | 'still-single' | 'still-repeated' | 'still-warped';
  actions: LivenessAction[];
  /** Live clips only: a bona fide attempt (its own motion holds a head rotation, and it shows one person only). */
  matching?: boolean;
  /** Live clips left out of BPCER: why (the motion no issued challenge could match). */
  excluded?: string;
  outcome: LivenessVerdict['outcome'];
  hint?: string;
  failed: string[];
  planar?: number;
  /** Passive model score of the still as given (1 = live). */
  passive?: number;
}

/** The evaluation's figures; printed as the last line of `eval-liveness`. */
export interface LivenessEvalReport {
  apcer: number;
  bpcer: number;
  attacks: number;
  bonafide: number;
  checks: Record<string, { attackFailed: number; bonafideFailed: number }>;
  planar: { liveClips: number[]; spoofClips: number[]; stillWarps: number[]; threshold: number };
  /** Live clips left out of BPCER, each with the reason. */
  excludedLiveClips: Array<{ file: string; reason: string }>;
  /** Per passive model: AUC of its score on the stills (live vs spoof folders), when measured. */
  passive: Record<string, { auc: number; live: number; spoof: number }>;
  presentations: PresentationResult[];
}

/** Ways a flat picture is turned, tilted and brought closer: what an attacker does to fake the prompts. */
const STILL_POSES: readonly PlanarPose[] = [
  { yawDeg: 0, pitchDeg: 0, rollDeg: 0, scale: 1 },
  { yawDeg: -35, pitchDeg: 0, rollDeg: 0, scale: 1 },
  { yawDeg: 0, pitchDeg: 0, rollDeg: 3, scale: 1 },
  { yawDeg: 35, pitchDeg: 0, rollDeg: 0, scale: 1 },
  { yawDeg: 0, pitchDeg: 30, rollDeg: 0, scale: 1.05 },
  { yawDeg: 10, pitchDeg: 0, rollDeg: -5, scale: 1.35 },
];

async function observe(engine: FaceEngine, frame: KeyFrame): Promise<FrameObservation> {
  try {
    return observeAnalysis(
      ISSUED_AT + frame.timestampMs,
      await engine.analyze(frame.jpeg, { withMesh: true }),
    );
  } catch (error) {
    if (!isFacelessFrame(error)) throw error;
    return { timestampMs: ISSUED_AT + frame.timestampMs, faceCount: 0 };
  }
}

/** The challenge an attacker would hope for: the motion the frames show, plus a head rotation if none. */
function attackerChallenge(observed: LivenessAction[]): LivenessAction[] {
  if (observed.some((a) => HEAD_ROTATIONS.includes(a))) return observed;
  return [...observed.slice(0, 2), 'turn_left'];
}

/** The burst as the server would see it: only the `seen` frames, embeddings kept on its identity frames. */
function judge(
  verifier: LivenessVerifier,
  challenge: LivenessChallenge,
  all: FrameObservation[],
  seen: ReadonlySet<number>,
  now: number,
): LivenessVerdict {
  const sparse = all.map((f, i) => (seen.has(i) ? f : undefined));
  const keep = new Set(identityFrames(sparse, verifier.thresholds));
  const observed = sparse.flatMap((f, i) => {
    if (!f) return [];
    if (keep.has(i)) return [f];
    const { embedding: _dropped, ...rest } = f;
    return [rest];
  });
  return verifier.verify(challenge, observed, now);
}

/**
 * Replays the server's path: capture times first, then the key frames alone, and every frame only when the key
 * frames leave an action unseen without another sign of an attack.
 */
function verify(
  verifier: LivenessVerifier,
  actions: LivenessAction[],
  all: FrameObservation[],
): LivenessVerdict {
  const challenge = {
    id: 'eval',
    nonce: 'eval',
    actions,
    issuedAt: ISSUED_AT,
    expiresAt: ISSUED_AT + 60_000,
  };
  const now = (all.at(-1)?.timestampMs ?? ISSUED_AT) + 100;
  const window = verifier.window(
    challenge,
    all.map((f) => f.timestampMs),
    now,
  );
  if (!window.passed) return { outcome: 'refused', checks: [window] };
  const keys = new Set(keyFrames(all.length));
  const verdict = judge(verifier, challenge, all, keys, now);
  if (!needsAllFrames(verdict) || keys.size >= all.length) return verdict;
  return judge(verifier, challenge, all, new Set(all.keys()), now);
}

function summarise(
  base: Omit<PresentationResult, 'outcome' | 'failed' | 'hint' | 'planar'>,
  verdict: LivenessVerdict,
): PresentationResult {
  const planar = verdict.checks.find((c) => c.check === 'planar');
  return {
    ...base,
    outcome: verdict.outcome,
    ...(verdict.hint ? { hint: verdict.hint } : {}),
    failed: verdict.checks.filter((c) => !c.passed).map((c) => `${c.check}:${c.reason}`),
    ...(planar ? { planar: planar.value } : {}),
  };
}

async function evalClip(
  engine: FaceEngine,
  path: string,
  file: string,
  label: 'live' | 'spoof',
  options: LivenessEvalOptions,
  verifier: LivenessVerifier,
): Promise<PresentationResult> {
  const frames = await decodeKeyFrames(path, { frames: options.frames, maxSide: options.maxSide });
  const observations: FrameObservation[] = [];
  for (const f of frames) observations.push(await observe(engine, f));
  const faces = observations.filter((o) => o.faceCount === 1 && o.mesh);
  const observed = observedActions(faces, LIVENESS_ACTIONS, 3, verifier.thresholds);
  const rotation = observed.some((a) => HEAD_ROTATIONS.includes(a));
  // A kiosk takes one person in view: a clip with other people in it is no bona fide attempt at one.
  const crowded = observations.filter((o) => o.faceCount > 1).length;
  const matching = rotation && crowded === 0;
  const actions =
    label === 'live' ? (rotation ? observed : attackerChallenge(observed)) : attackerChallenge(observed);
  const verdict = verify(verifier, actions, observations);
  const live =
    label === 'live'
      ? {
          matching,
          ...(matching
            ? {}
            : {
                excluded: crowded
                  ? `other people in view: two or more faces in ${crowded} of ${observations.length} frames`
                  : unmatchedReason(observed, faces.length, observations.length, verifier),
              }),
        }
      : {};
  return summarise({ file, label, kind: 'clip', actions, ...live }, verdict);
}

/** Why a live clip cannot answer any issued challenge: every challenge holds a head rotation. */
function unmatchedReason(
  observed: LivenessAction[],
  faces: number,
  frames: number,
  verifier: LivenessVerifier,
): string {
  const { turnDeg, lookUpDeg } = verifier.thresholds;
  const shown = observed.length ? observed.join(', ') : 'no prompted action';
  return (
    `no head turn of ${turnDeg}° or look up of ${lookUpDeg}° in its key frames (shows ${shown}; ` +
    `one face with a mesh in ${faces} of ${frames} frames)`
  );
}

/** Border around a still, as a fraction of its size: a photo held up is seen with its surroundings. */
const STILL_MARGIN = 0.5;

async function warpedFrames(path: string, maxSide: number): Promise<KeyFrame[]> {
  const meta = await sharp(path).rotate().toBuffer({ resolveWithObject: true });
  const pad = Math.round(Math.max(meta.info.width, meta.info.height) * STILL_MARGIN);
  // Face crops fill their whole image; held up to a camera they show a background around them.
  const framed = sharp(meta.data)
    .removeAlpha()
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 110, g: 110, b: 105 } })
    .resize(maxSide, maxSide, { fit: 'inside' });
  const frames = await heldPhotoFrames(framed, STILL_POSES, 90);
  return frames.map((jpeg, i) => ({ jpeg, timestampMs: i * STILL_STEP_MS }));
}

async function evalStill(
  engine: FaceEngine,
  path: string,
  file: string,
  label: 'live' | 'spoof',
  options: LivenessEvalOptions,
  verifier: LivenessVerifier,
): Promise<PresentationResult[]> {
  const warped = await warpedFrames(path, options.maxSide);
  const observations: FrameObservation[] = [];
  for (const f of warped) observations.push(await observe(engine, f));
  const flat = at(observations, 0);
  // The same bytes give the same observation: the still once, then repeated, then turned and tilted.
  const repeated = Array.from({ length: STILL_POSES.length }, (_, i) => ({
    ...flat,
    timestampMs: ISSUED_AT + i * STILL_STEP_MS,
  }));
  const faces = observations.filter((o) => o.faceCount === 1 && o.mesh);
  const warpedActions = attackerChallenge(observedActions(faces, LIVENESS_ACTIONS, 3, verifier.thresholds));
  const single: LivenessAction[] = ['turn_left', 'blink'];
  const passive = options.passive ? await passiveScore(engine, options.passive, path) : undefined;
  return [
    {
      ...summarise({ file, label, kind: 'still-single', actions: single }, verify(verifier, single, [flat])),
      ...(passive === undefined ? {} : { passive }),
    },
    summarise({ file, label, kind: 'still-repeated', actions: single }, verify(verifier, single, repeated)),
    summarise(
      { file, label, kind: 'still-warped', actions: warpedActions },
      verify(verifier, warpedActions, observations),
    ),
  ];
}

async function passiveScore(
  engine: FaceEngine,
  model: FrLivenessModel,
  path: string,
): Promise<number | undefined> {
  const bytes = await readFile(path);
  const face = (await engine.detect(bytes)).faces[0];
  return face ? model.score(bytes, face.box) : undefined;
}

function passiveFigures(presentations: PresentationResult[]): LivenessEvalReport['passive'] {
  const scored = presentations.filter((p) => p.passive !== undefined);
  if (scored.length === 0) return {};
  const live = scored.filter((p) => p.label === 'live').map((p) => required(p.passive, 'p.passive'));
  const spoof = scored.filter((p) => p.label === 'spoof').map((p) => required(p.passive, 'p.passive'));
  const auc = live.length && spoof.length ? areaUnderCurve(live, spoof) : Number.NaN;
  return { fr_liveness: { auc: Math.round(auc * 1000) / 1000, live: live.length, spoof: spoof.length } };
}

async function listMedia(dir: string): Promise<Array<{ file: string; video: boolean }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .sort()
    .map((file) => ({ file, ext: extname(file).toLowerCase() }))
    .filter(({ ext }) => VIDEO.has(ext) || STILL.has(ext))
    .map(({ file, ext }) => ({ file, video: VIDEO.has(ext) }));
}

/** Aggregates presentations into APCER, BPCER and per-check failure counts. */
export function buildLivenessReport(
  presentations: PresentationResult[],
  planarThreshold: number,
): LivenessEvalReport {
  const bonafide = presentations.filter((p) => p.label === 'live' && p.kind === 'clip' && p.matching);
  const attacks = presentations.filter((p) => p.label === 'spoof' || p.kind !== 'clip');
  const checks: LivenessEvalReport['checks'] = {};
  for (const p of [...bonafide, ...attacks]) {
    for (const f of p.failed) {
      const name = at(f.split(':'), 0);
      checks[name] ??= { attackFailed: 0, bonafideFailed: 0 };
      if (bonafide.includes(p)) checks[name].bonafideFailed++;
      else checks[name].attackFailed++;
    }
  }
  const planarOf = (list: PresentationResult[]): number[] =>
    list.flatMap((p) => (p.planar === undefined ? [] : [p.planar])).sort((a, b) => a - b);
  const clips = presentations.filter((p) => p.kind === 'clip');
  return {
    apcer: attacks.length ? attacks.filter((p) => p.outcome === 'pass').length / attacks.length : 0,
    bpcer: bonafide.length ? bonafide.filter((p) => p.outcome !== 'pass').length / bonafide.length : 0,
    attacks: attacks.length,
    bonafide: bonafide.length,
    checks,
    planar: {
      liveClips: planarOf(clips.filter((p) => p.label === 'live')),
      spoofClips: planarOf(clips.filter((p) => p.label === 'spoof')),
      stillWarps: planarOf(presentations.filter((p) => p.kind === 'still-warped')),
      threshold: planarThreshold,
    },
    passive: passiveFigures(presentations),
    excludedLiveClips: clips
      .filter((p) => p.label === 'live' && !p.matching)
      .map((p) => ({ file: p.file, reason: p.excluded ?? 'no head rotation in its motion' })),
    presentations,
  };
}

/**
 * Replays every clip and still of `dir/live` and `dir/spoof` to the liveness verifier. A clip is answered
 * under the challenge its own motion satisfies (an attack clip also gets the head rotation every issued
 * challenge contains); a still is presented once, repeated, and turned/tilted/brought closer in perspective.
 * Every still presentation is an attack; live clips whose motion includes a head rotation are the bona fide
 * attempts.
 */
export async function evaluateLiveness(
  engine: FaceEngine,
  dir: string,
  options: LivenessEvalOptions,
): Promise<LivenessEvalReport> {
  const verifier = options.verifier ?? new LivenessVerifier();
  const presentations: PresentationResult[] = [];
  for (const label of ['live', 'spoof'] as const) {
    for (const { file, video } of await listMedia(join(dir, label))) {
      const path = join(dir, label, file);
      options.onItem?.(`${label}/${file}`);
      if (video) presentations.push(await evalClip(engine, path, file, label, options, verifier));
      else presentations.push(...(await evalStill(engine, path, file, label, options, verifier)));
    }
  }
  return buildLivenessReport(presentations, verifier.planarThreshold);
}
