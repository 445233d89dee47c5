import type { Store } from '../../store/store.port.js';
import type { Gallery } from '../gallery.js';

/**
 * Applies stored state to a gallery, through its public methods only. Every change is applied by reloading the
 * employee from the store, so applying one twice, or out of date, does no harm: the store is the truth.
 */
export class GalleryChangeApplier {
  constructor(
    private readonly gallery: Gallery,
    private readonly store: Pick<Store, 'employees' | 'templates'>,
  ) {}

  /** Replaces the gallery's view of one employee with the store's: templates of this model and eligibility. */
  async reloadEmployee(employeeId: string): Promise<void> {
    const [employee, templates] = await Promise.all([
      this.store.employees.get(employeeId),
      this.store.templates.listByEmployee(employeeId),
    ]);
    // Synchronous from here on: no identification runs between the removal and the re-add.
    this.gallery.removeEmployee(employeeId);
    if (!employee) return;
    const current = templates.filter((t) => this.isCurrent(t));
    if (current.length > 0) this.gallery.add(employeeId, current);
    this.gallery.setEmployee(employee);
  }

  /**
   * Rebuilds the whole gallery from the store (after the change log was trimmed past this node's position):
   * each stored employee is replaced on first sight, then employees the store no longer has are removed.
   * The gallery is inconsistent meanwhile; the feed reports not-ready until it is done.
   */
  async resync(): Promise<{ employees: number; templates: number }> {
    const seen = new Set<string>();
    let templates = 0;
    for await (const batch of this.store.templates.iterateAll(1000)) {
      for (const template of batch) {
        if (!seen.has(template.employeeId)) {
          this.gallery.removeEmployee(template.employeeId);
          seen.add(template.employeeId);
        }
        if (this.isCurrent(template)) {
          this.gallery.add(template.employeeId, [template]);
          templates++;
        }
      }
    }
    for (const owner of [...this.gallery.index.owners()]) {
      if (!seen.has(owner)) this.gallery.removeEmployee(owner);
    }
    await this.applyStatuses(seen);
    return { employees: seen.size, templates };
  }

  private async applyStatuses(ids: ReadonlySet<string>): Promise<void> {
    const statuses = this.store.employees.statuses;
    if (statuses) {
      for (const employee of await statuses.call(this.store.employees)) {
        if (ids.has(employee.id)) this.gallery.setEmployee(employee);
      }
      return;
    }
    for (const id of ids) {
      const employee = await this.store.employees.get(id);
      if (employee) this.gallery.setEmployee(employee);
      else this.gallery.removeEmployee(id);
    }
  }

  private isCurrent(template: { model: string; modelVersion: string; embedding: Float32Array }): boolean {
    const engine = this.gallery.engine;
    return (
      template.model === engine.model &&
      template.modelVersion === engine.version &&
      template.embedding.length === engine.dimension
    );
  }
}
