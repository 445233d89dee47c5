import { describe, expect, it } from 'vitest';
import { type Actor, rolePolicy } from '../domain/access.js';
import { type ErrorCode, FacegateError } from '../domain/errors.js';
import type { DetectionResult, FaceEngine } from '../engine/face-engine.port.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { LivenessService } from './liveness.service.js';

const kiosk: Actor = { type: 'api_key', id: 'door', role: 'kiosk', name: 'Door', ip: null };
const NOW = new Date('2026-11-29T12:00:00Z');

/** An engine whose detection of every frame fails with `code`, or finds no face when `code` is undefined. */
function engineFailing(code: ErrorCode | undefined): Pick<FaceEngine, 'detect' | 'analyze'> {
  const noFace: DetectionResult = {
    faces: [],
    image: { format: 'jpeg', width: 64, height: 64, orientation: 1 },
    timings: {},
  };
  return {
    detect: async () => {
      if (code) throw new FacegateError(code, `engine says ${code}`);
      return noFace;
    },
    analyze: async () => {
      throw new FacegateError('NO_FACE', 'No face');
    },
  };
}

async function answerWith(code: ErrorCode | undefined) {
  const store = createMemoryStore(() => NOW);
  const service = new LivenessService({
    policy: rolePolicy,
    clock: { now: () => NOW },
    store,
    engine: engineFailing(code),
    state: new MemorySharedState({ now: () => NOW.getTime() }),
  });
  const challenge = await service.issueChallenge(kiosk);
  const frames = [0, 1, 2, 3, 4, 5].map((i) => ({
    bytes: new Uint8Array([0xff, 0xd8, 0xff, i]),
    timestamp: NOW.getTime() + 100 + i * 300,
  }));
  const outcome = service.answer(kiosk, { challengeId: challenge.id, nonce: challenge.nonce, frames });
  return { outcome, store };
}

describe('LivenessService: what counts as a frame without a face', () => {
  it('reads frames the detector finds no face in, or that are not readable images, as faceless: a retry', async () => {
    for (const code of [undefined, 'NO_FACE', 'IMAGE_UNREADABLE', 'UNSUPPORTED_FORMAT'] as const) {
      const { outcome } = await answerWith(code);
      expect(await outcome, String(code)).toMatchObject({ outcome: 'retry', hint: 'no_face' });
    }
  });

  it('never reads an engine that cannot analyse (not ready, overloaded, internal, a model) as "no face"', async () => {
    for (const code of [
      'NOT_READY',
      'OVERLOADED',
      'INTERNAL',
      'MODEL_INTEGRITY',
      'CONFIG_INVALID',
    ] as const) {
      const { outcome, store } = await answerWith(code);
      await expect(outcome, code).rejects.toMatchObject({ code });
      // No verdict was reached, so none is audited as if the person had shown no face.
      const audited = await store.audit.query({ action: 'liveness' });
      expect(audited.items.map((e) => e.reason)).not.toContain('no_face');
    }
  });
});
