import { constants, lstatSync, mkdirSync } from 'node:fs';
import { lstat, open, readdir, rename } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Actor } from '../domain/access.js';
import { FacegateError, isFacegateError } from '../domain/errors.js';
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
  /**
   * Adds dropped photos to badges that already exist. Off by default: whoever can write to the folder could
   * otherwise add their own face to anyone's badge. A file for an existing badge is rejected with `CONFLICT`.
   */
  allowExisting?: boolean;
  /** Scan period; a file is taken once its size and mtime are unchanged across two scans. */
  intervalMs?: number;
  onOutcome?: (outcome: WatchOutcome) => void;
  logger?: ServiceLogger;
}

/**
 * The seed's S3 trigger done locally: enrolls `<badge>_<First>_<Last>[_n].jpg` files dropped into a folder,
 * then moves each to `processed/` or `rejected/` (with `<file>.reason.txt`). Polls rather than relying on
 * fs.watch so that it behaves the same on every file system, and waits for a file's size to settle.
 *
 * The folder is a door into the service, so it is handled as hostile: it must be private to the service's user
 * ({@link assertPrivateWatchFolder}), symbolic links are never followed (`lstat`, `O_NOFOLLOW`), and files the
 * service writes are created exclusively (`O_EXCL`), so a planted link cannot redirect a write.
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
        const s = await lstat(join(this.dir, name));
        if (!s.isFile()) continue;
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

  /** Checked before every scan: a folder made unsafe while running stops being handled. */
  private async prepare(): Promise<void> {
    assertPrivateWatchFolder(this.dir);
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
        const bytes = await readRegularFile(path);
        const result = await this.enrollment.enrollByBadge(
          parsed,
          [{ bytes, file: name }],
          this.options.actor,
          { force: this.options.force, newEmployeeOnly: this.options.allowExisting !== true },
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
      await createExclusive(`${target}.reason.txt`, `${text}\n`);
    }
    return { file: name, accepted, alreadyEnrolled, badge: parsed?.badge, reasons, movedTo: target };
  }
}

/**
 * `dir/name`, or `dir/name-<n>.ext` when taken, so a re-dropped file never overwrites an earlier one. A name is
 * taken when anything exists there (a symbolic link included), or its reason file does.
 */
async function freeName(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; n < 10_000; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    if (!(await exists(candidate)) && !(await exists(`${candidate}.reason.txt`))) return candidate;
  }
  return join(dir, `${stem}-${Date.now()}${ext}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The bytes of a regular file, refusing a symbolic link swapped in after the scan (`O_NOFOLLOW`). */
async function readRegularFile(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new FacegateError('UNSUPPORTED_FORMAT', 'Not a regular file');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Writes a new file, never through an existing file or link (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600). */
async function createExclusive(path: string, text: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path, flags, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Refuses (`CONFIG_INVALID`, `details.reason`) a watch folder, or its `processed/` and `rejected/` subfolders
 * (all created 0700 when missing), that is a symbolic link or not a directory (`WATCH_FOLDER_NOT_DIRECTORY`), owned by
 * another user (`WATCH_FOLDER_FOREIGN_OWNER`), or writable by group or others (`WATCH_FOLDER_SHARED_WRITE`).
 * Synchronous: it runs at start-up, before the server takes traffic, and before each scan (three `lstat`s).
 */
export function assertPrivateWatchFolder(dir: string): void {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  checkFolder(root);
  for (const sub of ['processed', 'rejected']) {
    const path = join(root, sub);
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    checkFolder(path);
  }
}

function checkFolder(path: string): void {
  const refuse = (reason: string, problem: string): never => {
    throw new FacegateError('CONFIG_INVALID', `Watch folder ${path} ${problem}`, { dir: path, reason });
  };
  const info = lstatSync(path);
  if (!info.isDirectory()) {
    refuse('WATCH_FOLDER_NOT_DIRECTORY', 'is not a directory (symbolic links are not followed)');
  }
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    refuse('WATCH_FOLDER_FOREIGN_OWNER', `is owned by uid ${info.uid}, not by the service's user (${uid})`);
  }
  if ((info.mode & 0o022) !== 0) {
    refuse('WATCH_FOLDER_SHARED_WRITE', 'is writable by group or others; run `chmod go-w` on it');
  }
}
