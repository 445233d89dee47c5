import type { Command } from 'commander';
import type { ApiContext } from '../api/api-context.js';
import { createApiContext } from '../api/create-api-context.js';
import { buildServer } from '../api/server.js';
import { type AppOptions, createApp } from '../app/composition-root.js';
import { rolePolicy } from '../auth/actor.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../config/config.js';
import { warnIfExposedInDevelopment } from '../config/exposure-warning.js';
import { FacegateError } from '../domain/errors.js';
import { webPlugin } from '../web/web.plugin.js';

/** A running server and how to stop it. */
export interface RunningServer {
  url: string;
  /** The services behind the server (benchmarks and tests prepare data through them). */
  ctx: ApiContext;
  stop(): Promise<void>;
}

/**
 * loadConfig → createApp (role policy) → build server → listen; prints the first-run setup token when no admin
 * exists; starts the watch folder when `FACEGATE_WATCH_DIR` is set; on SIGINT/SIGTERM closes the server
 * (in-flight requests finish), then the app (which stops the watch folder after the file in progress).
 */
export async function startServer(
  overrides: DeepPartial<FacegateConfig> = {},
  options: { handleSignals?: boolean; app?: Omit<AppOptions, 'policy'> } = {},
): Promise<RunningServer> {
  const config = loadConfig(process.env, overrides);
  const app = await createApp(config, { ...options.app, policy: rolePolicy });
  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  let ctx: ApiContext;
  try {
    ctx = createApiContext(app);
    await ctx.auth.tokens.load();
    server = await buildServer(ctx, { web: webPlugin });
    const setupToken = await ctx.auth.setup.issueToken();
    await server.listen({ host: config.host, port: config.port }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
      throw new FacegateError(
        'CONFIG_INVALID',
        `Cannot listen on ${config.host}:${config.port} (${error.code}); set FACEGATE_PORT or FACEGATE_HOST`,
      );
    });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    server.log.info({ url, env: config.env, templates: app.startup.templatesLoaded }, 'facegate listening');
    warnIfExposedInDevelopment(config);
    if (setupToken) {
      // Printed once, to the operator's terminal only: whoever holds it can create the first admin.
      process.stdout.write(
        `\nNo administrator exists yet. Open ${url}/admin and use this one-time setup token,\n` +
          `or run \`facegate admin create\`:\n\n  ${setupToken}\n\n`,
      );
    }
  } catch (error) {
    await server?.close().catch(() => {});
    await app.close();
    throw error;
  }

  // Housekeeping: expired sessions and audit events past the retention setting, at start and daily.
  const housekeeping = async () => {
    try {
      const sessions = await ctx.auth.sessions.sweep();
      const { auditRetentionDays } = await ctx.auth.settings.current();
      const events = await ctx.auth.audit.applyRetention(auditRetentionDays);
      if (sessions + events > 0)
        server.log.info({ sessions, events }, 'housekeeping removed expired records');
    } catch (error) {
      server.log.error({ err: error }, 'housekeeping failed');
    }
  };
  await housekeeping();
  if (config.watchDir) {
    app.startWatchFolder(config.watchDir);
    server.log.info({ dir: config.watchDir }, 'watching folder for photos to enroll');
  }
  const timer = setInterval(housekeeping, 24 * 3600 * 1000);
  timer.unref();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(timer);
      await server.close();
      await app.close();
    })();
    return stopping;
  };
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      server.log.info({ signal }, 'shutting down');
      // In-flight requests get a bounded time to finish; a stuck client must not keep the process alive.
      setTimeout(() => process.exit(1), 30_000).unref();
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
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { url: `http://${config.host}:${port}`, ctx, stop };
}

/** Registers `facegate serve`. */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP API and web UI (same as npm start)')
    .option('-p, --port <port>', 'port (default FACEGATE_PORT or 3000)', (v) => Number.parseInt(v, 10))
    .option('--host <host>', 'interface to bind (default FACEGATE_HOST or 127.0.0.1)')
    .action(async (opts: { port?: number; host?: string }) => {
      await startServer({ port: opts.port, host: opts.host });
      // Keep running until a signal stops the server.
      await new Promise<never>(() => {});
    });
}
