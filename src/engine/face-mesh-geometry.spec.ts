import { describe, expect, it } from 'vitest';
import type { MeshPoint } from './face-engine.port.js';
import {
  detectionRoi,
  MESH_INPUT,
  meshYawPitch,
  projectMesh,
  type Roi,
  roiToImage,
  sampleRoi,
} from './face-mesh-geometry.js';

describe('detectionRoi', () => {
  it('levels the eye line, centres on the box and takes 1.5 × its longer side', () => {
    const level = detectionRoi({ xMin: 10, yMin: 20, xMax: 50, yMax: 80 }, [20, 40], [40, 40]);
    expect(level).toEqual({ cx: 30, cy: 50, size: 90, angle: 0 });
    // Left eye lower in the image: the head leans, the crop's x axis follows the eyes (+45° with y down).
    const tilted = detectionRoi({ xMin: 0, yMin: 0, xMax: 10, yMax: 10 }, [0, 0], [10, 10]);
    expect(tilted.angle).toBeCloseTo(Math.PI / 4, 10);
    const [x, y] = roiToImage(tilted, 1, 0.5);
    expect(x - tilted.cx).toBeCloseTo(y - tilted.cy, 10);
    expect(x).toBeGreaterThan(tilted.cx);
  });
});

describe('projectMesh', () => {
  it('maps crop pixels to image pixels through the rotated square, depth scaled like x', () => {
    const roi: Roi = { cx: 100, cy: 50, size: 40, angle: Math.PI / 2 };
    const raw = Float32Array.from([
      MESH_INPUT / 2,
      MESH_INPUT / 2,
      0,
      MESH_INPUT,
      MESH_INPUT / 2,
      MESH_INPUT,
    ]);
    const [centre, right] = projectMesh(raw, roi);
    expect(centre![0]).toBeCloseTo(100, 10);
    expect(centre![1]).toBeCloseTo(50, 10);
    // The crop's right edge lies below the centre after a 90° rotation.
    expect(right![0]).toBeCloseTo(100, 10);
    expect(right![1]).toBeCloseTo(70, 10);
    expect(right![2]).toBeCloseTo(40, 10);
  });
});

describe('sampleRoi', () => {
  const image = { width: 4, height: 4, data: new Uint8Array(48) };
  for (let i = 0; i < 16; i++) image.data.set([i * 10, 255 - i * 10, 7], i * 3);

  it('copies pixels one to one for an unrotated crop of the same size, normalised, black outside', () => {
    const out = new Float32Array(3 * 16);
    sampleRoi(image, { cx: 2, cy: 2, size: 4, angle: 0 }, 4, out, 0, 1 / 255, 0);
    expect(out[5]! * 255).toBeCloseTo(50, 3);
    expect(out[16 + 5]! * 255).toBeCloseTo(205, 3);
    const shifted = new Float32Array(3 * 16);
    sampleRoi(image, { cx: 0, cy: 0, size: 4, angle: 0 }, 4, shifted, 0, 2 / 255, -1);
    expect(shifted[0]).toBe(-1);
    expect((shifted[10]! + 1) * 127.5).toBeCloseTo(0, 3);
  });

  it('rotates: a 90° crop reads the image column as its row', () => {
    const out = new Float32Array(3 * 16);
    sampleRoi(image, { cx: 2, cy: 2, size: 4, angle: Math.PI / 2 }, 4, out, 0, 1, 0);
    // Crop row 0 runs down the image's right-most column… reversed left to right: crop (u, 0) = image (3, u).
    expect([0, 1, 2, 3].map((u) => Math.round(out[u]!))).toEqual([30, 70, 110, 150]);
  });
});

describe('meshYawPitch', () => {
  /** Face top, chin and sides of a frontal head (x right, y down, z away), turned about y then about x. */
  function head(yawRad: number, pitchRad: number): MeshPoint[] {
    const mesh: MeshPoint[] = Array.from({ length: 468 }, () => [0, 0, 0] as const);
    const base: Record<number, [number, number, number]> = {
      10: [0, -1, 0],
      152: [0, 1, 0],
      234: [-1, 0, 0],
      454: [1, 0, 0],
    };
    for (const [i, [x, y, z]] of Object.entries(base)) {
      const x1 = x * Math.cos(yawRad) + z * Math.sin(yawRad);
      const z1 = -x * Math.sin(yawRad) + z * Math.cos(yawRad);
      const y2 = y * Math.cos(pitchRad) - z1 * Math.sin(pitchRad);
      const z2 = y * Math.sin(pitchRad) + z1 * Math.cos(pitchRad);
      // The mesh weighs depth by 1/1.5, as Human's; undo that here so angles come out exact.
      mesh[Number(i)] = [100 + 50 * x1, 100 + 50 * y2, 50 * z2 * 1.5];
    }
    return mesh;
  }

  it('is zero for a frontal face and recovers yaw and pitch in degrees', () => {
    const frontal = meshYawPitch(head(0, 0));
    expect(frontal.yaw).toBeCloseTo(0, 8);
    expect(frontal.pitch).toBeCloseTo(0, 8);
    const turned = meshYawPitch(head((20 * Math.PI) / 180, 0));
    expect(Math.abs(turned.yaw)).toBeCloseTo(20, 6);
    expect(turned.pitch).toBeCloseTo(0, 6);
    const nodded = meshYawPitch(head(0, (15 * Math.PI) / 180));
    expect(Math.abs(nodded.pitch)).toBeCloseTo(15, 6);
    // Signs as Human's formula gives them: the image-right side further away (larger z) is a positive yaw; the chin
    // further away (looking down) a positive pitch, so a chin coming forward (looking up) is negative.
    expect(Math.sign(turned.yaw)).toBe(1);
    expect(Math.sign(nodded.pitch)).toBe(1);
    expect(Math.sign(meshYawPitch(head(0, (-15 * Math.PI) / 180)).pitch)).toBe(-1);
  });
});
