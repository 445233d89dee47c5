import type { EngineInfo } from '../engine/face-engine.port.js';
import type { GalleryCandidate, ServiceGallery } from '../services/service-context.js';

/**
 * Interim exact gallery behind the services' {@link ServiceGallery} view, used until `src/gallery` provides
 * its index; swap the implementation here only.
 */
export function createServiceGallery(info: EngineInfo): ServiceGallery {
  const templates = new Map<string, Array<{ id: string; embedding: Float32Array }>>();
  const ineligible = new Set<string>();
  const best = (ts: ReadonlyArray<{ embedding: Float32Array }>, probe: Float32Array) => {
    let max = -Infinity;
    for (const t of ts) {
      let s = 0;
      for (let i = 0; i < info.dimension; i++) s += (t.embedding[i] ?? 0) * (probe[i] ?? 0);
      if (s > max) max = s;
    }
    return max;
  };
  const ranked = (probe: Float32Array, onlyEligible: boolean): GalleryCandidate[] => {
    const out: GalleryCandidate[] = [];
    for (const [employeeId, ts] of templates) {
      if (ts.length === 0 || (onlyEligible && ineligible.has(employeeId))) continue;
      out.push({ employeeId, score: best(ts, probe) });
    }
    return out.sort((a, b) => b.score - a.score);
  };
  return {
    add(employeeId, added) {
      templates.set(employeeId, [...(templates.get(employeeId) ?? []), ...added]);
    },
    removeEmployee(employeeId) {
      const n = templates.get(employeeId)?.length ?? 0;
      templates.delete(employeeId);
      ineligible.delete(employeeId);
      return n;
    },
    setEligible(employeeId, eligible) {
      if (eligible) ineligible.delete(employeeId);
      else ineligible.add(employeeId);
    },
    identify(probe) {
      const [first, second] = ranked(probe, true);
      return { best: first ?? null, secondBest: second ?? null };
    },
    verify(employeeId, probe) {
      const ts = templates.get(employeeId);
      return ts && ts.length > 0 ? best(ts, probe) : null;
    },
    findDuplicate(probe, threshold, exclude) {
      return ranked(probe, false).find((c) => c.employeeId !== exclude && c.score >= threshold) ?? null;
    },
    templateCount(employeeId) {
      return templates.get(employeeId)?.length ?? 0;
    },
    size() {
      let n = 0;
      for (const ts of templates.values()) n += ts.length;
      return n;
    },
  };
}
