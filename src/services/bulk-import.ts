import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Actor } from '../domain/access.js';
import { type FacegateError, isFacegateError } from '../domain/errors.js';
import { at } from '../util/checked-access.js';
import {
  BAD_FILE_NAME_MESSAGE,
  csvField,
  type ImportProblem,
  isManifestName,
  isPhotoName,
  parseManifest,
  parsePhotoFileName,
} from './bulk-import.parser.js';
import type {
  EnrollmentService,
  PhotoReason,
  PhotoResult,
  PreparedEnrollment,
} from './enrollment.service.js';

// The watch folder reads file names by the same rules.
export { IMAGE_EXTENSIONS, type ImportProblem, parsePhotoFileName } from './bulk-import.parser.js';

/** One photo to import, with the employee it belongs to. */
export interface ImportEntry {
  /** Path relative to the import directory. */
  file: string;
  badge: string;
  firstName: string;
  lastName: string;
  email?: string;
  department?: string;
}

/** What a directory holds for import. */
export interface ImportPlan {
  source: 'manifest' | 'filenames';
  entries: ImportEntry[];
  problems: ImportProblem[];
}

/** Outcome of one photo of an import. */
export interface ImportRow {
  file: string;
  badge: string;
  firstName: string;
  lastName: string;
  accepted: boolean;
  alreadyEnrolled: boolean;
  templateId?: string;
  reasons: PhotoReason[];
}

/** Outcome of a whole import. */
export interface ImportSummary {
  files: number;
  employeesCreated: number;
  photosAdded: number;
  alreadyEnrolled: number;
  rejected: number;
  rows: ImportRow[];
}

/**
 * Lists what `dir` holds: the rows of its `manifest.csv` when present (paths relative to `dir`), else its image
 * files named by the badge pattern. File-name and manifest rules: {@link parseManifest}'s module.
 */
export async function planImport(dir: string): Promise<ImportPlan> {
  const root = resolve(dir);
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  const manifest = names.find(isManifestName);
  if (manifest) return planFromManifest(root, await readFile(join(root, manifest), 'utf8'));
  const plan: ImportPlan = { source: 'filenames', entries: [], problems: [] };
  for (const name of names.sort()) {
    if (!isPhotoName(name)) continue;
    const parsed = parsePhotoFileName(name);
    if (!parsed) plan.problems.push({ file: name, code: 'BAD_FILE_NAME', message: BAD_FILE_NAME_MESSAGE });
    else plan.entries.push({ file: name, ...parsed });
  }
  return plan;
}

function planFromManifest(root: string, text: string): ImportPlan {
  const { rows, problems } = parseManifest(text);
  const plan: ImportPlan = { source: 'manifest', entries: [], problems };
  for (const { files, line: _line, ...person } of rows) {
    for (const file of files) {
      const rel = relative(root, resolve(root, file));
      if (rel.startsWith('..') || isAbsolute(rel)) {
        problems.push({ file, code: 'BAD_MANIFEST', message: 'file must name a photo inside the folder' });
      } else plan.entries.push({ file: rel, ...person });
    }
  }
  return plan;
}

/** Progress callback: photos done so far, total photos, rows just finished. */
export type ImportProgress = (done: number, total: number, rows: ImportRow[]) => void;

/**
 * Photos an import keeps in the engine ahead of the commit for an engine of `workers` pool workers (0 =
 * in-process, as `facegate enroll DIR` runs it unless FACEGATE_ENGINE_WORKERS is set): in-process, the embedder
 * threads embed while the main thread decodes and detects the next photos; with a pool, every worker stays busy
 * while an employee is committed. In-process starts sooner (one set of models) and was the faster of the two on 208
 * photos (docs/benchmarks.md "Bulk enrolment").
 */
export function importInFlight(workers: number): number {
  return Math.max(4, workers * 4);
}

/** Options of {@link runImport}. */
export interface ImportOptions {
  force?: boolean;
  onProgress?: ImportProgress;
  signal?: AbortSignal;
  /**
   * Photos analysed ahead of the employee being committed (default 1: one employee at a time). With more, the next
   * employees' photos go through the engine (a worker pool works on them in parallel) while earlier employees
   * are checked and committed, still one at a time and in plan order.
   */
  inFlight?: number;
}

/**
 * Imports a plan: photos grouped by badge, one enrollment (one transaction) per employee, committed in plan order,
 * so an interrupted import leaves whole employees only. Idempotent: already enrolled photos are recognised by
 * content hash.
 */
export async function runImport(
  enrollment: EnrollmentService,
  dir: string,
  plan: ImportPlan,
  actor: Actor,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const root = resolve(dir);
  const total = plan.entries.length + plan.problems.length;
  const summary: ImportSummary = {
    files: total,
    employeesCreated: 0,
    photosAdded: 0,
    alreadyEnrolled: 0,
    rejected: 0,
    rows: [],
  };
  const push = (rows: ImportRow[]) => {
    summary.rows.push(...rows);
    for (const r of rows) {
      if (!r.accepted) summary.rejected++;
      else if (r.alreadyEnrolled) summary.alreadyEnrolled++;
      else summary.photosAdded++;
    }
    options.onProgress?.(summary.rows.length, total, rows);
  };
  push(plan.problems.map(problemRow));

  const groups = new Map<string, ImportEntry[]>();
  for (const e of plan.entries) groups.set(e.badge, [...(groups.get(e.badge) ?? []), e]);
  const pipeline = new ImportPipeline(enrollment, root, [...groups.values()], actor, options);
  for (;;) {
    if (options.signal?.aborted) break;
    const group = await pipeline.next();
    if (!group) break;
    if (await pipeline.commit(group)) summary.employeesCreated++;
    push(group.rows);
  }
  await pipeline.drain();
  return summary;
}

/** One employee's photos on their way through an import. */
interface GroupInFlight {
  rows: ImportRow[];
  photos: ReadPhoto[];
  /** The analysed enrollment, or the facegate error that refused it; undefined: no readable photo. */
  prepared: Promise<PreparedEnrollment | FacegateError | undefined>;
}

/**
 * Keeps up to `inFlight` photos in the engine ahead of the commit: groups are read and prepared in plan order, and
 * handed out for commit in the same order.
 */
class ImportPipeline {
  private readonly started: GroupInFlight[] = [];
  private nextGroup = 0;
  private photosInFlight = 0;
  private readonly inFlight: number;

  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly root: string,
    private readonly groups: readonly ImportEntry[][],
    private readonly actor: Actor,
    private readonly options: ImportOptions,
  ) {
    this.inFlight = Math.max(1, options.inFlight ?? 1);
  }

  /** The next group in plan order, prepared; starts more groups so the engine stays busy meanwhile. */
  async next(): Promise<GroupInFlight | undefined> {
    await this.fill();
    const head = this.started.shift();
    if (!head) return undefined;
    await head.prepared;
    this.photosInFlight -= head.photos.length;
    // Refill before the caller commits, so the engine works while the store writes.
    await this.fill();
    return head;
  }

  /** Commits a group and writes each photo's outcome to its row; returns whether the employee was created. */
  async commit(group: GroupInFlight): Promise<boolean> {
    const prepared = await group.prepared;
    if (prepared === undefined) return false;
    if (isFacegateError(prepared)) {
      for (const p of group.photos) p.row.reasons.push({ code: prepared.code, message: prepared.message });
      return false;
    }
    try {
      const result = await this.enrollment.commitPrepared(prepared);
      writeOutcomes(group.photos, result.photos);
      return result.created;
    } catch (error) {
      if (!isFacegateError(error)) throw error;
      for (const p of group.photos) p.row.reasons.push({ code: error.code, message: error.message });
      return false;
    }
  }

  /** Waits for analyses still running (after an interruption); nothing of them is committed. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.started.map((g) => g.prepared));
    this.started.length = 0;
  }

  private async fill(): Promise<void> {
    while (
      this.nextGroup < this.groups.length &&
      (this.started.length === 0 || this.photosInFlight < this.inFlight) &&
      !this.options.signal?.aborted
    ) {
      const entries = at(this.groups, this.nextGroup++);
      const rows = entries.map(entryRow);
      const photos = await readPhotos(this.root, entries, rows);
      this.photosInFlight += photos.length;
      const prepared = this.prepare(entries, photos);
      // Awaited in turn by next(); until then a failure must not count as unhandled.
      prepared.catch(() => undefined);
      this.started.push({ rows, photos, prepared });
    }
  }

  private async prepare(
    entries: readonly ImportEntry[],
    photos: readonly ReadPhoto[],
  ): Promise<PreparedEnrollment | FacegateError | undefined> {
    if (photos.length === 0) return undefined;
    const first = at(entries, 0);
    try {
      return await this.enrollment.prepareByBadge(
        {
          badge: first.badge,
          firstName: first.firstName,
          lastName: first.lastName,
          email: first.email,
          department: first.department,
        },
        photos.map((p) => ({ bytes: p.bytes, file: p.file })),
        this.actor,
        { force: this.options.force },
      );
    } catch (error) {
      if (isFacegateError(error)) return error;
      throw error;
    }
  }
}

/** Copies each photo's outcome onto its import row. */
function writeOutcomes(photos: readonly ReadPhoto[], results: readonly PhotoResult[]): void {
  for (const [i, p] of photos.entries()) {
    const r = at(results, i);
    Object.assign(p.row, {
      accepted: r.accepted,
      alreadyEnrolled: r.alreadyEnrolled === true,
      templateId: r.templateId,
      reasons: r.reasons,
    });
  }
}

/** A photo read from disk, with the row its outcome is written to. */
interface ReadPhoto {
  bytes: Uint8Array;
  file: string;
  row: ImportRow;
}

/** The rejected row for a plan problem (bad file name, bad manifest line). */
function problemRow(p: ImportProblem): ImportRow {
  return {
    file: p.file,
    badge: '',
    firstName: '',
    lastName: '',
    accepted: false,
    alreadyEnrolled: false,
    reasons: [{ code: p.code, message: p.message }],
  };
}

/** The not-yet-decided row for a plan entry. */
function entryRow(e: ImportEntry): ImportRow {
  return {
    file: e.file,
    badge: e.badge,
    firstName: e.firstName,
    lastName: e.lastName,
    accepted: false,
    alreadyEnrolled: false,
    reasons: [],
  };
}

/** Reads each entry's file; an unreadable file gets a FILE_UNREADABLE reason on its row and is left out. */
async function readPhotos(
  root: string,
  entries: readonly ImportEntry[],
  rows: ImportRow[],
): Promise<ReadPhoto[]> {
  const photos: ReadPhoto[] = [];
  for (const [i, e] of entries.entries()) {
    try {
      photos.push({ bytes: await readFile(join(root, e.file)), file: e.file, row: at(rows, i) });
    } catch (error) {
      at(rows, i).reasons.push({
        code: 'FILE_UNREADABLE',
        message: (error as NodeJS.ErrnoException).code ?? 'read failed',
      });
    }
  }
  return photos;
}

/** CSV of every rejected photo: file, badge, names, reason codes and messages. */
export function rejectionReportCsv(rows: readonly ImportRow[]): string {
  const lines = ['file,badge,first_name,last_name,codes,messages'];
  for (const r of rows) {
    if (r.accepted) continue;
    lines.push(
      [
        r.file,
        r.badge,
        r.firstName,
        r.lastName,
        r.reasons.map((x) => x.code).join(';'),
        r.reasons.map((x) => x.message).join('; '),
      ]
        .map((v) => csvField(v))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** True when `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
