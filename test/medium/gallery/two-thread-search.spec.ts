import { describe, expect, it } from 'vitest';
import { wasmSimdAvailable } from '../../../src/gallery/fast-scan.js';
import { Gallery } from '../../../src/gallery/gallery.js';
import { CHUNK_ROWS } from '../../../src/gallery/parallel-scan.js';
import { PqIndex, type PqIndexOptions } from '../../../src/gallery/pq-index.js';
import { gaussian, probeAtCosine, randomUnit } from '../../../src/gallery/synthetic-vectors.js';
import type { SearchReport, VectorHit } from '../../../src/gallery/vector-index.port.js';

const DIM = 128;
/** Enough rows for the helper thread (two chunks), not yet crossing the next chunk boundary. */
const FIRST = 2 * CHUNK_ROWS + 5_000;
const OPTIONS: PqIndexOptions = { trainAt: 20_000 };

/** The gallery index, telling whether the helper thread scanned part of the last search's rows. */
class ObservedPqIndex extends PqIndex {
  get helped(): boolean {
    return (this.lastSelection?.helperChunks ?? 0) > 0;
  }
}

interface Searched {
  hits: VectorHit[];
  report: SearchReport;
}

function searchBoth(index: PqIndex, q: Float32Array, refused: Set<string>): Searched {
  const report: SearchReport = { rejectedBest: null };
  return { hits: index.search(q, 3, (owner) => !refused.has(owner), report), report };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe.skipIf(!wasmSimdAvailable())('PqIndex searching on two threads', () => {
  it('gives exactly the hits and scores of one thread, through growth past chunk boundaries, removals and close', async () => {
    const normal = gaussian(77);
    const two = new ObservedPqIndex(DIM, OPTIONS);
    const one = new PqIndex(DIM, { ...OPTIONS, scanThreads: 1 });
    const kept: Float32Array[] = [];
    let added = 0;
    const add = (rows: number): void => {
      for (let end = added + rows; added < end; added++) {
        const v = randomUnit(DIM, normal);
        // Three templates per employee, so that owners are ranked by their best template.
        two.add(`t${added}`, `e${added % Math.floor(FIRST / 3)}`, v);
        one.add(`t${added}`, `e${added % Math.floor(FIRST / 3)}`, v);
        if (added % 500 === 0) kept.push(v);
      }
    };
    const refused = new Set(['e1', 'e2', 'e3']);
    /**
     * Compares `probes` probes, and more (up to 400) until the helper scanned rows in one search: it runs at the
     * lowest priority, so on a busy machine it takes part in few searches. Returns in how many it did.
     */
    const compare = (probes: number): number => {
      let helped = 0;
      for (let i = 0; i < 400 && (i < probes || helped === 0); i++) {
        const source = kept[(i * 7) % kept.length] ?? new Float32Array(DIM);
        const q = i % 3 === 2 ? randomUnit(DIM, normal) : probeAtCosine(source, 0.6, normal);
        const a = searchBoth(two, q, refused);
        if (two.helped) helped++;
        expect(a).toEqual(searchBoth(one, q, refused));
      }
      return helped;
    };

    add(FIRST);
    expect(two.trained).toBe(true);
    // The helper starts at the first search over two chunks of rows, and scans once it is ready.
    compare(1);
    await until(() => two.helperReady);
    expect(compare(60)).toBeGreaterThan(0);

    // Growth while the helper exists: past two chunk boundaries, and the codes' memory grows.
    add(2 * CHUNK_ROWS + 321);
    expect(two.helperReady).toBe(true);
    expect(compare(60)).toBeGreaterThan(0);

    // Removals move the last row into the hole.
    for (let i = 0; i < 2_000; i += 3) {
      two.remove(`t${i}`);
      one.remove(`t${i}`);
    }
    expect(compare(30)).toBeGreaterThan(0);

    await two.close();
    expect(two.helperReady).toBe(false);
    for (let i = 0; i < 10; i++) {
      const q = randomUnit(DIM, normal);
      expect(searchBoth(two, q, refused)).toEqual(searchBoth(one, q, refused));
      expect(two.helped).toBe(false);
    }
    await one.close();
  }, 300_000);

  it('closes with the gallery, which stays usable', async () => {
    const normal = gaussian(5);
    const gallery = new Gallery({ model: 'm', version: '1', dimension: DIM }, undefined, {
      index: new PqIndex(DIM, OPTIONS),
      match: { threshold: 0.5, margin: 0 },
    });
    const first = randomUnit(DIM, normal);
    gallery.add('ada', [{ id: 't0', embedding: first }]);
    for (let i = 1; i < FIRST; i++)
      gallery.add(`e${i}`, [{ id: `t${i}`, embedding: randomUnit(DIM, normal) }]);
    gallery.setEligible('ada', true);
    expect(gallery.identify(first).employeeId).toBe('ada');
    await until(() => (gallery.index as PqIndex).helperReady);
    await gallery.close();
    expect((gallery.index as PqIndex).helperReady).toBe(false);
    expect(gallery.identify(first).employeeId).toBe('ada');
  }, 300_000);
});
