import type { BlobStore } from '../blobs/blob-store.port.js';
import { createBlobStore } from '../blobs/create-blob-store.js';
import type { FacegateConfig } from '../config/config.js';
import { createDataCipher, type DataCipher } from '../crypto/data-cipher.js';
import { createFaceEngine } from '../engine/create-face-engine.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import { Gallery } from '../gallery/gallery.js';
import { EmployeeService } from '../services/employee.service.js';
import { EnrollmentService } from '../services/enrollment.service.js';
import { ErasureService } from '../services/erasure.service.js';
import { IdentificationService } from '../services/identification.service.js';
import {
  localOnlyPolicy,
  type Policy,
  type ServiceDeps,
  type ServiceLogger,
  silentLogger,
} from '../services/service-context.js';
import { TemplateUpgradeService } from '../services/template-upgrade.service.js';
import { FolderWatcher, type WatchOptions } from '../services/watch-folder.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.port.js';

/** The services of issue 3. */
export interface CoreServices {
  employees: EmployeeService;
  enrollment: EnrollmentService;
  identification: IdentificationService;
  erasure: ErasureService;
  templateUpgrade: TemplateUpgradeService;
}

/** What start-up found and repaired. */
export interface StartupReport {
  templatesLoaded: number;
  /**
   * Templates of another model/version than the engine's; they never match until rebuilt from their kept photos
   * (`facegate templates upgrade`) or re-enrolled.
   */
  templatesSkipped: number;
  employees: number;
  orphanBlobsRemoved: number;
}

/** A built facegate process: every port and service, and `close()`. */
export interface App {
  config: FacegateConfig;
  engine: FaceEngine;
  cipher: DataCipher;
  store: Store;
  blobs: BlobStore;
  gallery: Gallery;
  services: CoreServices;
  startup: StartupReport;
  /**
   * Starts enrolling photos dropped into `dir` (watch mode inside a long-running process, e.g. `FACEGATE_WATCH_DIR`
   * for the server); `close()` stops it after the file in progress.
   */
  startWatchFolder(dir: string, options?: Partial<WatchOptions>): FolderWatcher;
  close(): Promise<void>;
}

/** Replaceable parts, for tests and for the API's role policy. */
export interface AppOptions {
  /** Access rules; defaults to CLI/system-only (the API passes its role policy). */
  policy?: Policy;
  logger?: ServiceLogger;
  /** A ready engine to share (tests load models once per file); the app then does not close it. */
  engine?: FaceEngine;
  /** Override the threshold lookup (tests with uncalibrated models). */
  thresholds?: ServiceDeps['thresholds'];
}

/**
 * Builds the app from one validated config: cipher → store → blobs → engine → gallery (loaded from the store)
 * → services, then removes photo blobs no template references (left by a crash between blob write and commit).
 */
export async function createApp(config: FacegateConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? silentLogger;
  const cipher = await createDataCipher(config);
  const store = await createStore(config, cipher);
  const closers: Array<() => Promise<void>> = [() => store.close()];
  try {
    const blobs = await createBlobStore(config, cipher);
    const engine = options.engine ?? createFaceEngine(config);
    if (!options.engine) closers.unshift(() => engine.close());
    const gallery = new Gallery(engine.info, store);
    const stats = await gallery.load();
    const loaded = {
      templatesLoaded: stats.templates,
      templatesSkipped: stats.stale,
      employees: stats.employees,
    };
    if (loaded.templatesSkipped > 0) {
      logger.warn(
        { skipped: loaded.templatesSkipped, model: engine.info.model, version: engine.info.version },
        'templates of another model were not loaded; run `facegate templates upgrade` or re-enroll those employees',
      );
    }
    const deps: ServiceDeps = {
      engine,
      store,
      blobs,
      gallery,
      config,
      logger,
      policy: options.policy ?? localOnlyPolicy,
      thresholds: options.thresholds,
    };
    const services: CoreServices = {
      employees: new EmployeeService(deps),
      enrollment: new EnrollmentService(deps),
      identification: new IdentificationService(deps),
      erasure: new ErasureService(deps),
      templateUpgrade: new TemplateUpgradeService({ ...deps, gallery }),
    };
    const orphanBlobsRemoved = await services.enrollment.sweepOrphanBlobs();
    const watchers: Array<{ watcher: FolderWatcher; running: Promise<void> }> = [];
    let closed = false;
    return {
      config,
      engine,
      cipher,
      store,
      blobs,
      gallery,
      services,
      startup: { ...loaded, orphanBlobsRemoved },
      startWatchFolder(dir, watchOptions = {}) {
        const watcher = new FolderWatcher(services.enrollment, dir, {
          actor: { type: 'system', id: 'watch-folder' },
          logger,
          ...watchOptions,
        });
        const running = watcher.run().catch((error: unknown) => {
          logger.error(
            { err: error instanceof Error ? error.message : String(error), dir },
            'watch folder failed',
          );
        });
        watchers.push({ watcher, running });
        return watcher;
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const { watcher, running } of watchers) {
          await watcher.stop();
          await running;
        }
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}
