import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api/api-context.js';
import { buildServer, type ServerOptions } from '../api/server.js';
import type { AuthServices } from '../auth/auth-services.js';
import type { FacegateConfig } from '../config/config.js';
import { warnIfExposedInDevelopment } from '../config/exposure-warning.js';
import { FacegateError } from '../domain/errors.js';
import { webPlugin } from '../web/web.plugin.js';
import { type App, type AppOptions, apiContextOf, createApp } from './composition-root.js';

/** How often expired sessions and audit events past retention are removed (also once at start). */
const HOUSEKEEPING_INTERVAL_MS = 24 * 3600 * 1000;
/** How long in-flight requests may take to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 30_000;

/** A running server and how to stop it. */
export interface RunningServer {
  url: string;
  app: App;
  /** The services behind the server (benchmarks and tests prepare data through them). */
  ctx: ApiContext;
  server: FastifyInstance;
  /** The one-time token that creates the first admin, or null when an admin exists. */
  setupToken: string | null;
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Stop on SIGINT/SIGTERM and exit the process (default true). */
  handleSignals?: boolean;
  /** Print the first-run setup token to stdout (default true). */
  announceSetupToken?: boolean;
  /** Replaceable parts of the app (tests share an engine). */
  app?: AppOptions;
  /** Server options (tests turn the logger off); the web UI is always served. */
  server?: Omit<ServerOptions, 'web'>;
}

/** Builds the HTTP server over a built app (not listening): tests inject requests into it. */
export async function buildAppServer(app: App, options: ServerOptions = {}): Promise<FastifyInstance> {
  const ctx = apiContextOf(app);
  await ctx.auth.tokens.load();
  return buildServer(ctx, options);
}

/**
 * createApp → build server → listen; prints the first-run setup token when no admin exists; runs housekeeping
 * at start and daily; starts the watch folder when `FACEGATE_WATCH_DIR` is set; on SIGINT/SIGTERM closes the
 * server (in-flight requests finish), then the app (which stops the watch folder after the file in progress).
 */
export async function startServer(
  config: FacegateConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const app = await createApp(config, options.app);
  let server: FastifyInstance | undefined;
  let url: string;
  let setupToken: string | null;
  try {
    server = await buildAppServer(app, { ...options.server, web: webPlugin });
    setupToken = await app.services.auth.setup.issueToken();
    // Before listening: an unsafe watch folder (shared, foreign, a link) stops the start-up.
    if (config.watchDir) {
      app.startWatchFolder(config.watchDir);
      server.log.info({ dir: config.watchDir }, 'watching folder for photos to enroll');
    }
    url = await listen(server, config);
    server.log.info({ url, env: config.env, templates: app.startup.templatesLoaded }, 'facegate listening');
    warnIfExposedInDevelopment(config);
    if (setupToken && options.announceSetupToken !== false) announceSetupToken(url, setupToken);
  } catch (error) {
    await server?.close().catch(() => {});
    await app.close();
    throw error;
  }
  const running = server;
  const stopHousekeeping = await startHousekeeping(app.services.auth, running);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopHousekeeping();
      await running.close();
      await app.close();
    })();
    return stopping;
  };
  if (options.handleSignals !== false) stopOnSignals(stop, running);
  return { url, app, ctx: apiContextOf(app), server: running, setupToken, stop };
}

/** Listens on the configured address; a taken or forbidden port is a configuration error. Returns the URL. */
async function listen(server: FastifyInstance, config: FacegateConfig): Promise<string> {
  await server.listen({ host: config.host, port: config.port }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
    throw new FacegateError(
      'CONFIG_INVALID',
      `Cannot listen on ${config.host}:${config.port} (${error.code}); set FACEGATE_PORT or FACEGATE_HOST`,
    );
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
}

function announceSetupToken(url: string, setupToken: string): void {
  // Printed once, to the operator's terminal only: whoever holds it can create the first admin.
  process.stdout.write(
    `\nNo administrator exists yet. Open ${url}/admin and use this one-time setup token,\n` +
      `or run \`facegate admin create\`:\n\n  ${setupToken}\n\n`,
  );
}

/** Removes expired sessions and audit events past the retention setting, now and daily; returns the stop. */
async function startHousekeeping(auth: AuthServices, server: FastifyInstance): Promise<() => void> {
  const housekeeping = async () => {
    try {
      const sessions = await auth.sessions.sweep();
      const { auditRetentionDays } = await auth.settings.current();
      const events = await auth.audit.applyRetention(auditRetentionDays);
      if (sessions + events > 0)
        server.log.info({ sessions, events }, 'housekeeping removed expired records');
    } catch (error) {
      server.log.error({ err: error }, 'housekeeping failed');
    }
  };
  await housekeeping();
  const timer = setInterval(housekeeping, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** On SIGINT/SIGTERM: stop, then exit 0 (1 when stopping fails or outlasts the grace period). */
function stopOnSignals(stop: () => Promise<void>, server: FastifyInstance): void {
  const onSignal = (signal: NodeJS.Signals) => {
    server.log.info({ signal }, 'shutting down');
    // In-flight requests get a bounded time to finish; a stuck client must not keep the process alive.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
