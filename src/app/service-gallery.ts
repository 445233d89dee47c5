import type { EngineInfo } from '../engine/face-engine.port.js';
import { ExactIndex } from '../gallery/exact-index.js';
import type { VectorIndex } from '../gallery/vector-index.port.js';
import type { ServiceGallery } from '../services/service-context.js';

/**
 * The services' gallery over a {@link VectorIndex}: owners are employee ids; employees that must not match
 * (suspended, face login locked) are filtered out of 1:N searches but stay indexed for verify and duplicate checks.
 */
export class IndexedGallery implements ServiceGallery {
  private readonly ineligible = new Set<string>();

  constructor(private readonly index: VectorIndex) {}

  add(employeeId: string, templates: ReadonlyArray<{ id: string; embedding: Float32Array }>): void {
    for (const t of templates) this.index.add(t.id, employeeId, t.embedding);
  }

  removeEmployee(employeeId: string): number {
    this.ineligible.delete(employeeId);
    return this.index.removeOwner(employeeId);
  }

  setEligible(employeeId: string, eligible: boolean): void {
    if (eligible) this.ineligible.delete(employeeId);
    else this.ineligible.add(employeeId);
  }

  identify(probe: Float32Array) {
    const [best, second] = this.index.search(probe, 2, (id) => !this.ineligible.has(id));
    const cand = (h: typeof best) => (h ? { employeeId: h.ownerId, score: h.score } : null);
    return { best: cand(best), secondBest: cand(second) };
  }

  verify(employeeId: string, probe: Float32Array): number | null {
    return this.index.ownerScore(probe, employeeId)?.score ?? null;
  }

  findDuplicate(probe: Float32Array, threshold: number, excludeEmployeeId?: string) {
    const [hit] = this.index.search(probe, 1, (id) => id !== excludeEmployeeId);
    return hit && hit.score >= threshold ? { employeeId: hit.ownerId, score: hit.score } : null;
  }

  templateCount(employeeId: string): number {
    return this.index.ownerSize(employeeId);
  }

  size(): number {
    return this.index.size;
  }
}

/** The gallery of a process: exact search over the engine's embedding dimension. */
export function createServiceGallery(info: EngineInfo): ServiceGallery {
  return new IndexedGallery(new ExactIndex(info.dimension));
}
