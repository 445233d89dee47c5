import type { Command } from 'commander';
import { startServer } from '../app/server-lifecycle.js';
import { loadConfig } from '../config/config.js';

/** Registers `facegate serve`. */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP API and web UI (same as npm start)')
    .option('-p, --port <port>', 'port (default FACEGATE_PORT or 3000)', (v) => Number.parseInt(v, 10))
    .option('--host <host>', 'interface to bind (default FACEGATE_HOST or 127.0.0.1)')
    .action(async (opts: { port?: number; host?: string }) => {
      await startServer(loadConfig(process.env, { port: opts.port, host: opts.host }));
      // Keep running until a signal stops the server.
      await new Promise<never>(() => {});
    });
}
