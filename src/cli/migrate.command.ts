import type { Command } from 'commander';
import { migrateStorage } from '../app/adapters.js';
import { loadConfig } from '../config/config.js';

/** Registers `facegate migrate`: applies the configured store's pending migrations and exits. */
export function registerMigrateCommands(program: Command): void {
  program
    .command('migrate')
    .description(
      'Apply pending schema migrations to the configured store (SQLite or PostgreSQL) and exit; run it before starting new nodes',
    )
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const report = await migrateStorage(loadConfig());
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report)}\n`
          : `Store ${report.store} is at schema version ${report.schemaVersion}.\n`,
      );
    });
}
