import { resolve } from 'node:path';
import { systemActor } from '../domain/access.js';
import type { EnrollmentService } from '../services/enrollment.service.js';
import type { ServiceLogger } from '../services/service-context.js';
import { assertPrivateWatchFolder, FolderWatcher, type WatchOptions } from '../services/watch-folder.js';

/** Settings every watch folder of the process shares. */
export interface WatchFolderSettings {
  /** `FACEGATE_WATCH_ALLOW_EXISTING`: add dropped photos to badges that already exist (default false). */
  allowExisting: boolean;
}

/** The audit actor of a watch folder: `system`, id `watch-folder:<absolute path>`. */
export function watchFolderActor(dir: string) {
  return systemActor(`watch-folder:${resolve(dir)}`);
}

/** The watch folders of a long-running process, stopped together when the app closes. */
export class WatchFolders {
  private readonly running: Array<{ watcher: FolderWatcher; done: Promise<void> }> = [];

  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly logger: ServiceLogger,
    private readonly settings: WatchFolderSettings = { allowExisting: false },
  ) {}

  /**
   * Starts enrolling photos dropped into `dir`. Throws `CONFIG_INVALID` at once when the folder is not private to
   * the service's user (see {@link assertPrivateWatchFolder}); a later failure of the watcher is logged.
   */
  start(dir: string, options: Partial<WatchOptions> = {}): FolderWatcher {
    assertPrivateWatchFolder(dir);
    const watcher = new FolderWatcher(this.enrollment, dir, {
      actor: watchFolderActor(dir),
      allowExisting: this.settings.allowExisting,
      logger: this.logger,
      ...options,
    });
    const done = watcher.run().catch((error: unknown) => {
      this.logger.error(
        { err: error instanceof Error ? error.message : String(error), dir },
        'watch folder failed',
      );
    });
    this.running.push({ watcher, done });
    return watcher;
  }

  /** Stops every watcher after the file in progress. */
  async stopAll(): Promise<void> {
    for (const { watcher, done } of this.running) {
      await watcher.stop();
      await done;
    }
  }
}
