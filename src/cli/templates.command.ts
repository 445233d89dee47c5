import type { Command } from 'commander';
import { operator, withApp } from './cli-app.js';

/**
 * `facegate templates upgrade [--dry-run]`: rebuilds templates of another model or version from their kept photos
 * with the configured engine; prints the JSON summary on stdout. A running server loads the new templates at its
 * next start.
 */
export function registerTemplateCommands(program: Command): void {
  const templates = program.command('templates').description('Face templates of the whole gallery');

  templates
    .command('upgrade')
    .description(
      'Rebuild templates of another model/version from their kept photos (JSON summary; lists who needs re-enrollment)',
    )
    .option('--dry-run', 'only count stale templates and check their photos exist; change nothing')
    .action(async (o: { dryRun?: boolean }) => {
      await withApp(async (app) => {
        const summary = await app.services.templateUpgrade.upgrade(operator(), {
          dryRun: o.dryRun === true,
          onProgress: (done, total) => process.stderr.write(`upgrade ${done}/${total} employees\n`),
        });
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      });
    });
}
