import { describe, expect, it } from 'vitest';
import type { LivenessAction, LivenessChallenge } from './challenge.js';
import type { FrameObservation } from './frame-observation.js';
import {
  bestFrontalFrame,
  framesToEmbed,
  identityFrames,
  keyFrames,
  LivenessVerifier,
  livenessLimitsFor,
  needsAllFrames,
} from './liveness.verifier.js';
import { embeddingOf, type SyntheticFrame, syntheticFrame } from './synthetic-frames.fixture.js';

const ISSUED = 10_000;

function challenge(actions: LivenessAction[]): LivenessChallenge {
  return { id: 'c1', nonce: 'n', actions, issuedAt: ISSUED, expiresAt: ISSUED + 60_000 };
}

/** A head turning to its left, then to its right, 200 ms apart. */
function turnBurst(extra: Partial<SyntheticFrame> = {}): FrameObservation[] {
  return [0, -10, -25, -10, 0, 12, 25, 10, 0].map((yaw, i) =>
    syntheticFrame({ t: ISSUED + 1000 + i * 200, yaw, noise: 0.3, ...extra }),
  );
}

const verifier = new LivenessVerifier();
const now = ISSUED + 5000;

function failed(frames: FrameObservation[], actions: LivenessAction[] = ['turn_left', 'turn_right']) {
  const verdict = verifier.verify(challenge(actions), frames, now);
  return { verdict, failed: verdict.checks.filter((c) => !c.passed).map((c) => `${c.check}:${c.reason}`) };
}

describe('LivenessVerifier', () => {
  it('passes a real head turn that follows the prompts, and picks the frontal frame', () => {
    const { verdict, failed: f } = failed(turnBurst());
    expect(f).toEqual([]);
    expect(verdict.outcome).toBe('pass');
    expect(verdict.bestFrame).toBe(0);
  });

  it('refuses a flat picture turned the same way (planar)', () => {
    const { verdict, failed: f } = failed(
      turnBurst({ flat: true }).map((o, i) => ({ ...o, pose: turnBurst()[i]!.pose })),
    );
    expect(verdict.outcome).toBe('refused');
    expect(f).toContain('planar:planar');
  });

  it('refuses frames in the wrong order', () => {
    const frames = turnBurst();
    [frames[2], frames[6]] = [frames[6]!, frames[2]!];
    const { verdict, failed: f } = failed(frames);
    expect(verdict.outcome).toBe('refused');
    expect(f).toEqual(['window:out_of_order']);
  });

  it('refuses an expired challenge', () => {
    const verdict = verifier.verify(challenge(['turn_left', 'turn_right']), turnBurst(), ISSUED + 61_000);
    expect(verdict.outcome).toBe('refused');
    expect(verdict.checks[0]?.reason).toBe('expired');
  });

  it('refuses two faces in a frame and two different people', () => {
    const two = turnBurst();
    two[4] = { ...two[4]!, faceCount: 2 };
    expect(failed(two).failed).toContain('single_face:two_faces');
    expect(failed(two).verdict.outcome).toBe('refused');
    const swap = turnBurst();
    swap[8] = { ...swap[8]!, embedding: embeddingOf(3) };
    expect(failed(swap).failed).toContain('same_person:different_people');
    expect(failed(swap).verdict.outcome).toBe('refused');
  });

  it('refuses a still repeated', () => {
    const still = Array.from({ length: 8 }, (_, i) => syntheticFrame({ t: ISSUED + 1000 + i * 200 }));
    const { verdict, failed: f } = failed(still);
    expect(verdict.outcome).toBe('refused');
    expect(f).toContain('not_duplicate:duplicates');
  });

  it('asks for a retry when an action is missing, naming it', () => {
    const { verdict } = failed(turnBurst(), ['turn_left', 'look_up']);
    expect(verdict.outcome).toBe('retry');
    expect(verdict.hint).toBe('action_missing:look_up');
  });

  it('asks for a retry when the actions come in the wrong order', () => {
    const { verdict } = failed(turnBurst(), ['turn_right', 'turn_left']);
    expect(verdict.outcome).toBe('retry');
    expect(verdict.hint).toBe('action_missing:turn_left');
  });

  it('passes a blink then a turn performed in order, and not the other way round', () => {
    const frames = [
      { yaw: 0 },
      { yaw: 0, eyesClosed: true },
      { yaw: 0 },
      { yaw: -10 },
      { yaw: -35 },
      { yaw: -5 },
    ].map((o, i) => syntheticFrame({ t: ISSUED + 1000 + i * 200, noise: 0.3, ...o }));
    expect(failed(frames, ['blink', 'turn_left']).failed).toEqual([]);
    expect(failed(frames, ['turn_left', 'blink']).verdict.hint).toBe('action_missing:blink');
  });

  it('bestFrontalFrame ignores frames without exactly one face', () => {
    const frames = turnBurst();
    frames[0] = { ...frames[0]!, faceCount: 2 };
    expect(bestFrontalFrame(frames)).toBe(4);
  });

  it('framesToEmbed picks the frontal frame and the first and last near-frontal ones', () => {
    const frames = [30, 10, 0, -40, 5, 12, 35].map((yaw, i) => syntheticFrame({ t: ISSUED + i * 200, yaw }));
    expect(framesToEmbed(frames)).toEqual([1, 2, 5]);
    expect(framesToEmbed([])).toEqual([]);
  });
});

describe('key frames and identity frames', () => {
  it('analyses the first frame and three spread evenly to the last', () => {
    expect(keyFrames(8)).toEqual([0, 2, 5, 7]);
    expect(keyFrames(11)).toEqual([0, 3, 7, 10]);
    expect(keyFrames(4)).toEqual([0, 1, 2, 3]);
    expect(keyFrames(3)).toEqual([0, 1, 2]);
  });

  it('embeds the best frontal frame and the ends of the burst turned at most 40°, skipping its neighbours', () => {
    const burst = turnBurst();
    // Best is frame 0 (frontal); the first other frame (1) is its neighbour, the last (8) is compared.
    expect(identityFrames(burst)).toEqual([0, 8]);
    // Gaps (frames not analysed) are skipped; a face turned beyond 40° is not compared.
    const sparse = burst.map((f, i) => ([0, 2, 5, 7].includes(i) ? f : undefined));
    const turned = sparse.map((f, i) => (f && i === 7 ? { ...f, pose: { yaw: 50, pitch: 0, roll: 0 } } : f));
    expect(identityFrames(turned)).toEqual([0, 2, 5]);
  });

  it('analyses every frame only when the key frames miss an action without any sign of an attack', () => {
    const burst = turnBurst();
    const keys = keyFrames(burst.length).map((i) => burst[i]!);
    // The key frames 0, 3, 5, 8 see no 25° turn: an action left unseen, worth the whole burst.
    const missed = verifier.verify(challenge(['turn_left', 'turn_right']), keys, now);
    expect(missed.outcome).not.toBe('pass');
    expect(needsAllFrames(missed)).toBe(true);
    expect(verifier.verify(challenge(['turn_left', 'turn_right']), burst, now).outcome).toBe('pass');
    // Two faces refuse at once, whatever the other frames hold.
    const crowded = keys.map((f, i) => (i === 1 ? { ...f, faceCount: 2 } : f));
    expect(needsAllFrames(verifier.verify(challenge(['turn_left', 'turn_right']), crowded, now))).toBe(false);
  });

  it('exposes the limits of the configured detector (its blink limit)', () => {
    expect(new LivenessVerifier(livenessLimitsFor('mediapipe-onnx')).thresholds.blinkRatio).toBe(0.76);
    expect(new LivenessVerifier(livenessLimitsFor('human')).thresholds.blinkRatio).toBe(0.7);
  });
});
