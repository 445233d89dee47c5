import { describe, expect, it } from 'vitest';
import { MemoryFailedProbes } from './impostor-probes.js';

function unit(...values: number[]): Float32Array {
  const v = Float32Array.from(values);
  const norm = Math.hypot(...values);
  return v.map((x) => x / norm);
}

describe('MemoryFailedProbes', () => {
  it('groups probes close to a remembered one under its face subject', async () => {
    const probes = new MemoryFailedProbes(60_000);
    expect(await probes.match(unit(1, 0, 0), 0.5, 0)).toBeUndefined();
    const face = await probes.remember(unit(1, 0, 0), undefined, 0);
    expect(await probes.match(unit(1, 0.2, 0), 0.5, 1)).toEqual({ faceId: face, firstFailedAt: 0 });
    expect(await probes.match(unit(0, 1, 0), 0.5, 1)).toBeUndefined();
    const other = await probes.remember(unit(0, 1, 0), undefined, 1);
    expect(other).not.toBe(face);
  });

  it('picks the closest face, and ignores probes of another dimension', async () => {
    const probes = new MemoryFailedProbes(60_000);
    const a = await probes.remember(unit(1, 0.3, 0), undefined, 0);
    const b = await probes.remember(unit(1, 0, 0.05), undefined, 0);
    await probes.remember(unit(1, 0), undefined, 0);
    expect((await probes.match(unit(1, 0, 0), 0.5, 0))?.faceId).toBe(b);
    expect(a).not.toBe(b);
  });

  it('reports when a face first failed, and forgets a face on request', async () => {
    const probes = new MemoryFailedProbes(60_000);
    const face = await probes.remember(unit(1, 0, 0), undefined, 100);
    await probes.remember(unit(1, 0.1, 0), face, 200);
    expect(await probes.match(unit(1, 0.05, 0), 0.5, 300)).toEqual({ faceId: face, firstFailedAt: 100 });
    await probes.forget(face);
    expect(await probes.match(unit(1, 0.05, 0), 0.5, 300)).toBeUndefined();
  });

  it('forgets probes after the time to live and beyond the capacity, zeroing them', async () => {
    const probes = new MemoryFailedProbes(1000, 2);
    const kept = unit(1, 0, 0);
    await probes.remember(kept, undefined, 0);
    expect(kept.some((x) => x !== 0)).toBe(true); // a copy is held, not the caller's array
    expect(await probes.match(unit(1, 0, 0), 0.5, 999)).toBeDefined();
    expect(await probes.match(unit(1, 0, 0), 0.5, 1000)).toBeUndefined();
    expect(probes.size).toBe(0);
    for (let i = 0; i < 3; i++) await probes.remember(unit(1, i, 0), undefined, 2000);
    expect(probes.size).toBe(2);
  });
});
