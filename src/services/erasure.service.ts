import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { resolveEmployee } from './employee.service.js';
import { ServiceBase } from './service-context.js';

/** What an erasure removed, and the proof that nothing remains. */
export interface ErasureReport {
  employeeId: string;
  badge: string;
  templatesDeleted: number;
  photosDeleted: number;
  galleryEntriesRemoved: number;
  erasedAt: string;
  verified: { employeeRow: boolean; templates: boolean; photos: boolean; galleryIndex: boolean };
}

/**
 * Complete erasure of a person's biometric data: employee row, every template, every kept photo and the gallery
 * entry, then a check that none remains. The audit keeps who/when/which employee only.
 */
export class ErasureService extends ServiceBase {
  /** Erases the employee (id or badge) and all its biometric data; throws `NOT_FOUND` or `INTERNAL` if residue. */
  async deleteEmployee(idOrBadge: string, actor: Actor): Promise<ErasureReport> {
    await this.policy.authorize(actor, 'employees:delete');
    const employee = await resolveEmployee(this.store, idOrBadge);
    // Matching stops first, so the person cannot be recognised while the erasure runs.
    this.matcher.setEligible(employee.id, false);
    const erasedAt = this.clock.now().toISOString();

    const { photoKeys, templatesDeleted } = await this.store.transaction(async (tx) => {
      const templates = await tx.templates.listByEmployee(employee.id);
      // Self-service captures waiting for review go with the employee (their rows by cascade).
      const captures = (await tx.enrolmentSubmissions?.listPhotoKeys(employee.id)) ?? [];
      for (const t of templates) await tx.templates.delete(t.id);
      await tx.employees.delete(employee.id);
      await tx.audit.append({
        action: 'employee.delete',
        outcome: 'success',
        actorType: actor.type,
        actorId: actor.id,
        employeeId: employee.id,
        at: erasedAt,
        details: { badge: employee.badge, templatesDeleted: templates.length },
      });
      return {
        photoKeys: [...new Set([...templates.flatMap((t) => (t.photoKey ? [t.photoKey] : [])), ...captures])],
        templatesDeleted: templates.length,
      };
    });
    const galleryEntriesRemoved = await this.matcher.removeEmployee(employee.id);

    // Content-addressed photos are shared only by templates of identical bytes; keep any still referenced.
    const stillReferenced = new Set(await this.store.templates.listPhotoKeys());
    let photosDeleted = 0;
    for (const key of photoKeys) {
      if (stillReferenced.has(key)) continue;
      if (await this.blobs.delete(key)) photosDeleted++;
    }

    const verified = {
      employeeRow: (await this.store.employees.get(employee.id)) === undefined,
      templates: (await this.store.templates.listByEmployee(employee.id)).length === 0,
      photos: (
        await Promise.all(photoKeys.filter((k) => !stillReferenced.has(k)).map((k) => this.blobs.has(k)))
      ).every((present) => !present),
      galleryIndex: this.matcher.templateCount(employee.id) === 0,
    };
    if (!Object.values(verified).every(Boolean)) {
      this.logger.error({ employeeId: employee.id, verified }, 'erasure left residue');
      throw new FacegateError('INTERNAL', 'Erasure could not be verified', {
        employeeId: employee.id,
        verified,
      });
    }
    return {
      employeeId: employee.id,
      badge: employee.badge,
      templatesDeleted,
      photosDeleted,
      galleryEntriesRemoved,
      erasedAt,
      verified,
    };
  }
}
