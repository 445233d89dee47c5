import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
import type { Employee, FaceTemplate } from '../domain/models.js';
import type { FaceAnalysis } from '../engine/face-engine.port.js';
import { isEligible } from './employee.service.js';
import { type EmployeeRef, type PhotoReason, toEmployeeRef } from './enrollment.service.js';
import { toNewTemplate } from './face-template.mapper.js';
import { currentThreshold, roundScore } from './match-settings.js';
import { ServiceBase, type ServiceDeps, type ServiceGallery } from './service-context.js';

/** The gallery as the upgrade needs it: the services' view plus removing one template. */
export interface UpgradeGallery extends ServiceGallery {
  /** Removes one template; false when it was not indexed (stale templates never are). */
  removeTemplate(templateId: string): boolean;
}

/** Ports of {@link TemplateUpgradeService}. */
export interface TemplateUpgradeDeps extends ServiceDeps {
  gallery: UpgradeGallery;
}

/** A stale template the upgrade could not rebuild: its employee must be photographed again. */
export interface ReEnrollmentNeeded {
  templateId: string;
  employee: EmployeeRef;
  /** Model and version that produced the kept template. */
  model: string;
  modelVersion: string;
  /** `NO_PHOTO`, `PHOTO_MISSING`, `PHOTO_UNREADABLE`, or the engine / quality codes enrollment refuses. */
  reasons: PhotoReason[];
}

/** A rebuilt template whose face resembles another employee at or above the duplicate threshold (advisory). */
export interface UpgradeLookAlike {
  templateId: string;
  employee: EmployeeRef;
  resembles: EmployeeRef;
  score: number;
  threshold: number;
}

/** Outcome of one upgrade run (or dry run). */
export interface TemplateUpgradeSummary {
  dryRun: boolean;
  /** The current engine model every template is brought to. */
  engine: { model: string; version: string };
  /** Templates of another model or version found. */
  stale: number;
  /** Employees owning stale templates. */
  employees: number;
  /** Stale templates whose kept photo is still in the blob store. */
  withPhoto: number;
  /** Templates replaced by a template of the current model (always 0 in a dry run). */
  upgraded: number;
  needsReEnrollment: ReEnrollmentNeeded[];
  lookAlikes: UpgradeLookAlike[];
  durationMs: number;
}

/** Options of {@link TemplateUpgradeService.upgrade}. */
export interface UpgradeOptions {
  /** Only count stale templates and check their photos exist; analyses and writes nothing. */
  dryRun?: boolean;
  /** Called after each employee, e.g. for a progress line. */
  onProgress?: (done: number, total: number) => void;
}

type StaleTemplate = Omit<FaceTemplate, 'embedding'>;

interface Rebuilt {
  old: StaleTemplate;
  analysis: FaceAnalysis;
}

/** Templates swapped in one transaction, with the employee as read inside it. */
interface Replaced {
  employee: Employee;
  saved: Array<{ oldId: string; id: string; embedding: Float32Array }>;
}

/**
 * Model upgrade: rebuilds every template of another model or version from its kept photo with the current engine.
 * Each employee's stale templates are replaced in one store transaction (new template in, old out, same photo and
 * source hash), so nobody is ever left with neither; the gallery follows after commit. Templates without a usable
 * photo are left as they are and reported for re-enrollment. Running it again changes nothing.
 */
export class TemplateUpgradeService extends ServiceBase {
  private readonly upgradeGallery: UpgradeGallery;
  private running = false;

  constructor(deps: TemplateUpgradeDeps) {
    super(deps);
    this.upgradeGallery = deps.gallery;
  }

  /**
   * Upgrades (or, with `dryRun`, counts) every stale template; one audit event per run, counts only.
   * Throws `CONFLICT` while another upgrade runs in this process.
   */
  async upgrade(actor: Actor, options: UpgradeOptions = {}): Promise<TemplateUpgradeSummary> {
    await this.policy.authorize(actor, 'templates:upgrade');
    const dryRun = options.dryRun === true;
    if (!dryRun && this.running) {
      throw new FacegateError('CONFLICT', 'A template upgrade is already running');
    }
    if (!dryRun) this.running = true;
    const started = performance.now();
    const { model, version } = this.engine.info;
    const summary: TemplateUpgradeSummary = {
      dryRun,
      engine: { model, version },
      stale: 0,
      employees: 0,
      withPhoto: 0,
      upgraded: 0,
      needsReEnrollment: [],
      lookAlikes: [],
      durationMs: 0,
    };
    let failure: unknown;
    try {
      const byEmployee = await this.staleTemplates();
      summary.employees = byEmployee.size;
      for (const list of byEmployee.values()) summary.stale += list.length;
      const threshold =
        dryRun || summary.stale === 0
          ? 0
          : (await currentThreshold(this.store, this.config, model, this.thresholds)).threshold;
      let done = 0;
      for (const [employeeId, templates] of byEmployee) {
        const employee = await this.store.employees.get(employeeId);
        // Erased since the scan: its templates went with it.
        if (employee) {
          if (dryRun) await this.count(employee, templates, summary);
          else await this.upgradeEmployee(employee, templates, threshold, summary);
        }
        options.onProgress?.(++done, byEmployee.size);
      }
      return summary;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (!dryRun) this.running = false;
      summary.durationMs = Math.round(performance.now() - started);
      await this.audit(actor, summary, failure);
    }
  }

  /** Stale templates (without their embeddings), grouped by employee in store order. */
  private async staleTemplates(): Promise<Map<string, StaleTemplate[]>> {
    const { model, version } = this.engine.info;
    const byEmployee = new Map<string, StaleTemplate[]>();
    for await (const batch of this.store.templates.iterateAll(1000)) {
      for (const { embedding: _embedding, ...template } of batch) {
        if (template.model === model && template.modelVersion === version) continue;
        const list = byEmployee.get(template.employeeId) ?? [];
        list.push(template);
        byEmployee.set(template.employeeId, list);
      }
    }
    return byEmployee;
  }

  private async count(
    employee: Employee,
    templates: StaleTemplate[],
    summary: TemplateUpgradeSummary,
  ): Promise<void> {
    for (const template of templates) {
      const reason =
        template.photoKey === null
          ? noPhoto()
          : (await this.blobs.has(template.photoKey))
            ? undefined
            : photoMissing();
      if (reason) summary.needsReEnrollment.push(needs(employee, template, [reason]));
      else summary.withPhoto++;
    }
  }

  private async upgradeEmployee(
    employee: Employee,
    templates: StaleTemplate[],
    threshold: number,
    summary: TemplateUpgradeSummary,
  ): Promise<void> {
    const rebuilt = await this.rebuildAll(employee, templates, summary);
    if (rebuilt.length === 0) return;
    const replaced = await this.replaceTemplates(employee, rebuilt);
    if (!replaced || replaced.saved.length === 0) return;

    this.upgradeGallery.add(
      employee.id,
      replaced.saved.map((t) => ({ id: t.id, embedding: t.embedding })),
    );
    for (const t of replaced.saved) this.upgradeGallery.removeTemplate(t.oldId);
    // Employees whose templates were all stale were never given a matching status at start-up.
    this.upgradeGallery.setEligible(employee.id, isEligible(replaced.employee));
    summary.upgraded += replaced.saved.length;
    await this.reportLookAlikes(employee.id, replaced, threshold, summary);
  }

  /** Rebuilds each stale template from its kept photo; the ones that cannot be rebuilt go to `needsReEnrollment`. */
  private async rebuildAll(
    employee: Employee,
    templates: StaleTemplate[],
    summary: TemplateUpgradeSummary,
  ): Promise<Rebuilt[]> {
    const rebuilt: Rebuilt[] = [];
    for (const old of templates) {
      const outcome = await this.rebuild(old);
      const code = 'reasons' in outcome ? outcome.reasons[0]?.code : undefined;
      if (code !== 'NO_PHOTO' && code !== 'PHOTO_MISSING') summary.withPhoto++;
      if ('reasons' in outcome) summary.needsReEnrollment.push(needs(employee, old, outcome.reasons));
      else rebuilt.push({ old, analysis: outcome.analysis });
    }
    return rebuilt;
  }

  /** In one transaction, swaps each stale template for its rebuilt one; null when the employee was erased meanwhile. */
  private async replaceTemplates(employee: Employee, rebuilt: readonly Rebuilt[]): Promise<Replaced | null> {
    return await this.store.transaction(async (tx) => {
      const current = await tx.employees.get(employee.id);
      if (!current) return null;
      const saved: Replaced['saved'] = [];
      for (const { old, analysis } of rebuilt) {
        // Replaced or erased meanwhile (another process or run): leave it to whoever did it.
        if (!(await tx.templates.delete(old.id))) continue;
        const added = await tx.templates.add(
          employee.id,
          toNewTemplate(analysis, {
            sourceHash: old.sourceHash,
            photoKey: old.photoKey,
            photoContentType: old.photoContentType,
          }),
        );
        saved.push({ oldId: old.id, id: added.id, embedding: added.embedding });
      }
      return { employee: current, saved };
    });
  }

  /** Advisory look-alikes: rebuilt templates that resemble another employee at or above `threshold`. */
  private async reportLookAlikes(
    employeeId: string,
    replaced: Replaced,
    threshold: number,
    summary: TemplateUpgradeSummary,
  ): Promise<void> {
    for (const t of replaced.saved) {
      // Advisory only: the photo was accepted before (perhaps forced); refusing it now would leave the employee
      // with a template that never matches, and the same photo would be refused again at re-enrollment.
      const other = this.upgradeGallery.findDuplicate(t.embedding, threshold, employeeId);
      if (!other) continue;
      const resembles = await this.store.employees.get(other.employeeId);
      if (!resembles) continue;
      summary.lookAlikes.push({
        templateId: t.id,
        employee: toEmployeeRef(replaced.employee),
        resembles: toEmployeeRef(resembles),
        score: roundScore(other.score),
        threshold: roundScore(threshold),
      });
    }
  }

  /** Reads the kept photo and runs it through the engine and enrollment's quality gate. */
  private async rebuild(
    old: StaleTemplate,
  ): Promise<{ analysis: FaceAnalysis } | { reasons: PhotoReason[] }> {
    if (old.photoKey === null) return { reasons: [noPhoto()] };
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.blobs.get(old.photoKey);
    } catch (error) {
      this.logger.warn(
        { templateId: old.id, err: error instanceof Error ? error.message : String(error) },
        'kept photo could not be read',
      );
      return { reasons: [{ code: 'PHOTO_UNREADABLE', message: 'The kept photo could not be decrypted' }] };
    }
    if (!bytes) return { reasons: [photoMissing()] };
    let analysis: FaceAnalysis;
    try {
      analysis = await this.engine.analyze(bytes);
    } catch (error) {
      if (!isFacegateError(error)) throw error;
      return { reasons: [{ code: error.code, message: error.message }] };
    }
    const reasons: PhotoReason[] = analysis.face.quality.issues.map((issue) => ({
      code: issue.code,
      message: issue.message,
      value: issue.value,
      threshold: issue.threshold,
    }));
    const { model, version } = this.engine.info;
    if (analysis.engineInfo.model !== model || analysis.engineInfo.version !== version) {
      reasons.push({ code: 'MODEL_MISMATCH', message: 'Engine returned an embedding of another model' });
    }
    return reasons.length > 0 ? { reasons } : { analysis };
  }

  private async audit(actor: Actor, s: TemplateUpgradeSummary, failure: unknown): Promise<void> {
    const outcome = failure
      ? 'failure'
      : s.dryRun
        ? 'dry_run'
        : s.stale === 0
          ? 'unchanged'
          : s.needsReEnrollment.length > 0
            ? 'partial'
            : 'success';
    const reason = failure
      ? isFacegateError(failure)
        ? failure.code
        : 'INTERNAL'
      : (s.needsReEnrollment[0]?.reasons[0]?.code ?? null);
    try {
      await this.store.audit.append({
        action: 'templates.upgrade',
        outcome,
        reason,
        actorType: actor.type,
        actorId: actor.id,
        engine: `${s.engine.model}@${s.engine.version}`,
        at: this.clock.now().toISOString(),
        durationMs: s.durationMs,
        details: {
          dryRun: s.dryRun,
          stale: s.stale,
          employees: s.employees,
          withPhoto: s.withPhoto,
          upgraded: s.upgraded,
          needsReEnrollment: s.needsReEnrollment.length,
          lookAlikes: s.lookAlikes.length,
        },
      });
    } catch (error) {
      // The templates already committed stay upgraded; only the record of the run is lost.
      this.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'audit of template upgrade failed',
      );
      if (!failure) throw error;
    }
  }
}

function noPhoto(): PhotoReason {
  return { code: 'NO_PHOTO', message: 'No photo was kept for this template' };
}

function photoMissing(): PhotoReason {
  return { code: 'PHOTO_MISSING', message: 'The kept photo is no longer in the blob store' };
}

function needs(employee: Employee, template: StaleTemplate, reasons: PhotoReason[]): ReEnrollmentNeeded {
  return {
    templateId: template.id,
    employee: toEmployeeRef(employee),
    model: template.model,
    modelVersion: template.modelVersion,
    reasons,
  };
}
