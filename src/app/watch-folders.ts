import { systemActor } from '../domain/access.js';
import type { EnrollmentService } from '../services/enrollment.service.js';
import type { ServiceLogger } from '../services/service-context.js';
import { FolderWatcher, type WatchOptions } from '../services/watch-folder.js';

/** The watch folders of a long-running process, stopped together when the app closes. */
export class WatchFolders {
  private readonly running: Array<{ watcher: FolderWatcher; done: Promise<void> }> = [];

  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly logger: ServiceLogger,
  ) {}

  /** Starts enrolling photos dropped into `dir`; a failure of the watcher is logged, never thrown. */
  start(dir: string, options: Partial<WatchOptions> = {}): FolderWatcher {
    const watcher = new FolderWatcher(this.enrollment, dir, {
      actor: systemActor('watch-folder'),
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
