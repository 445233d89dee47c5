import { describe, expect, it } from 'vitest';
import type { MeshPoint } from '../engine/face-engine.port.js';
import { eyeAspectRatio, interOcular } from './face-measures.js';

function meshWithEyes(open: number): MeshPoint[] {
  const mesh: MeshPoint[] = Array.from({ length: 468 }, () => [0, 0, 0] as const);
  const eye = (
    outer: number,
    up1: number,
    up2: number,
    inner: number,
    lo1: number,
    lo2: number,
    x0: number,
  ) => {
    mesh[outer] = [x0, 100, 0];
    mesh[inner] = [x0 + 30, 100, 0];
    mesh[up1] = [x0 + 10, 100 - open, 0];
    mesh[up2] = [x0 + 20, 100 - open, 0];
    mesh[lo2] = [x0 + 10, 100 + open, 0];
    mesh[lo1] = [x0 + 20, 100 + open, 0];
  };
  eye(33, 160, 158, 133, 153, 144, 100);
  eye(362, 385, 387, 263, 373, 380, 160);
  return mesh;
}

describe('face measures', () => {
  it('eye aspect ratio is lid opening over eye width, near 0 when closed', () => {
    expect(eyeAspectRatio(meshWithEyes(5))).toBeCloseTo(10 / 30, 6);
    expect(eyeAspectRatio(meshWithEyes(0))).toBe(0);
  });

  it('inter-ocular distance joins the eye centres', () => {
    expect(interOcular(meshWithEyes(5))).toBeCloseTo(60, 6);
  });
});
