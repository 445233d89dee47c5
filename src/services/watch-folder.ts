import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Actor } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import { at } from '../util/checked-access.js';
import { IMAGE_EXTENSIONS, parsePhotoFileName } from './bulk-import.js';
import type { EnrollmentService, PhotoReason } from './enrollment.service.js';
import type { ServiceLogger } from './service-context.js';
import { silentLogger } from './service-context.js';

/** What happened to one dropped file. */
export interface WatchOutcome {
  file: string;
  accepted: boolean;
  alreadyEnrolled: boolean;
  badge?: string;
  reasons: PhotoReason[];
  /** Where the file was moved. */
  movedTo: string;
}

/** Options of a watch folder. */
export interface WatchOptions {
  actor: Actor;
  force?: boolean;
  /** Scan period; a file is taken once its size and mtime are unchanged across two scans. */
  intervalMs?: number;
  onOutcome?: (outcome: WatchOutcome) => void;
  logger?: ServiceLogger;
}

/**
 * The seed's S3 trigger done locally: enrolls `<badge>_<First>_<Last>[_n].jpg` files dropped into a folder,
 * then moves each to `processed/` or `rejected/` (with `<file>.reason.txt`). Polls rather than relying on
 * fs.watch so that it behaves the same on every file system, and waits for a file's size to settle.
 */
export class FolderWatcher {
  private readonly dir: string;
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private done: (() => void) | undefined;
  private readonly logger: ServiceLogger;

  constructor(
    private readonly enrollment: EnrollmentService,
    dir: string,
    private readonly options: WatchOptions,
  ) {
    this.dir = resolve(dir);
    this.logger = options.logger ?? silentLogger;
  }

  /** Starts polling; the promise resolves once {@link stop} has been called and the current file is finished. */
  async run(): Promise<void> {
    await this.prepare();
    if (this.stopped) return;
    const finished = new Promise<void>((r) => {
      this.done = r;
    });
    this.schedule(0);
    return finished;
  }

  /** Stops after the file in progress (no file is left half-handled). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.done?.();
  }

  /** One scan: handles every file whose size was stable since the previous scan; returns how many. */
  async scanOnce(): Promise<number> {
    await this.prepare();
    let handled = 0;
    const names = (await readdir(this.dir, { withFileTypes: true }))
      .filter((d) => d.isFile() && IMAGE_EXTENSIONS.has(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort();
    const present = new Set(names);
    for (const key of this.seen.keys()) if (!present.has(key)) this.seen.delete(key);
    for (const name of names) {
      if (this.stopped) break;
      let signature: string;
      try {
        const s = await stat(join(this.dir, name));
        signature = `${s.size}:${s.mtimeMs}`;
        if (s.size === 0) {
          this.seen.set(name, signature);
          continue;
        }
      } catch {
        continue;
      }
      if (this.seen.get(name) !== signature) {
        this.seen.set(name, signature);
        continue;
      }
      this.seen.delete(name);
      const outcome = await this.handle(name);
      handled++;
      this.options.onOutcome?.(outcome);
    }
    return handled;
  }

  private async prepare(): Promise<void> {
    await mkdir(join(this.dir, 'processed'), { recursive: true });
    await mkdir(join(this.dir, 'rejected'), { recursive: true });
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.scanOnce()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            'watch scan failed',
          );
        })
        .finally(() => this.schedule(this.options.intervalMs ?? 1000));
    }, delay);
  }

  private async handle(name: string): Promise<WatchOutcome> {
    const path = join(this.dir, name);
    const parsed = parsePhotoFileName(name);
    let reasons: PhotoReason[] = [];
    let accepted = false;
    let alreadyEnrolled = false;
    if (!parsed) {
      reasons = [{ code: 'BAD_FILE_NAME', message: 'File name must be <badge>_<First>_<Last>[_n].jpg' }];
    } else {
      try {
        const bytes = await readFile(path);
        const result = await this.enrollment.enrollByBadge(
          parsed,
          [{ bytes, file: name }],
          this.options.actor,
          {
            force: this.options.force,
          },
        );
        const photo = at(result.photos, 0);
        accepted = photo.accepted;
        alreadyEnrolled = photo.alreadyEnrolled === true;
        reasons = photo.reasons;
      } catch (error) {
        if (!isFacegateError(error)) throw error;
        reasons = [{ code: error.code, message: error.message }];
      }
    }
    const target = await freeName(join(this.dir, accepted ? 'processed' : 'rejected'), name);
    await rename(path, target);
    if (!accepted) {
      const text = reasons.map((r) => `${r.code}: ${r.message}`).join('\n');
      await writeFile(`${target}.reason.txt`, `${text}\n`, 'utf8');
    }
    return { file: name, accepted, alreadyEnrolled, badge: parsed?.badge, reasons, movedTo: target };
  }
}

/** `dir/name`, or `dir/name-<n>.ext` when taken, so a re-dropped file never overwrites an earlier one. */
async function freeName(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; n < 10_000; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    try {
      await stat(candidate);
    } catch {
      return candidate;
    }
  }
  return join(dir, `${stem}-${Date.now()}${ext}`);
}
