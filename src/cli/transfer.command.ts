import type { Command } from 'commander';
import { exportStorage, importStorage } from '../app/adapters.js';
import { loadConfig } from '../config/config.js';
import type { ExportReport } from '../store/transfer/export-archive.js';
import type { ImportReport } from '../store/transfer/import-archive.js';

/** Exit code of an import whose read-back does not match the archive. */
export const IMPORT_MISMATCH_EXIT = 3;

/**
 * Registers `facegate export <dir>` and `facegate import <dir>`: moving an install between stores (SQLite and
 * files to PostgreSQL and S3, or back) through a self-describing archive checked by counts and hashes.
 */
export function registerTransferCommands(program: Command): void {
  program
    .command('export')
    .argument('<dir>', 'new (or empty) directory to write the archive into')
    .description(
      'Copy every record, read in one snapshot, and the photos they name, as stored (still encrypted), into an archive directory; the server may run',
    )
    .option('--json', 'machine-readable output')
    .action(async (dir: string, options: { json?: boolean }) => {
      const report = await exportStorage(loadConfig(), dir);
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describeExport(report));
    });
  program
    .command('import')
    .argument('<dir>', 'archive directory written by `facegate export`')
    .description(
      'Load an archive into the configured, empty store and photo store (same data keys), then compare counts and hashes; exits 3 on a mismatch',
    )
    .option('--json', 'machine-readable output')
    .action(async (dir: string, options: { json?: boolean }) => {
      const report = await importStorage(loadConfig(), dir);
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : describeImport(report));
      if (!report.ok) process.exitCode = IMPORT_MISMATCH_EXIT;
    });
}

function describeExport(report: ExportReport): string {
  const rows = report.tables.map((t) => `  ${t.name.padEnd(16)} ${t.rows}\n`).join('');
  const missing =
    report.blobs.missing > 0
      ? `  ${report.blobs.missing} photo object(s) named by templates or submissions are missing from the source's photo store\n`
      : '';
  return (
    `Exported ${report.source.store} + ${report.source.blobs} (schema version ${report.schemaVersion}) to ${report.archive}\n` +
    `${rows}  photo objects    ${report.blobs.count} (${report.blobs.bytes} bytes)\n${missing}`
  );
}

function describeImport(report: ImportReport): string {
  const rows = report.tables
    .map((t) => {
      const state = t.rows === t.expectedRows && t.hashMatches ? 'ok' : 'MISMATCH';
      return `  ${t.name.padEnd(16)} ${t.rows}/${t.expectedRows} ${state}\n`;
    })
    .join('');
  const b = report.blobs;
  const head = report.alreadyImported
    ? `The ${report.target} store already holds this archive; nothing written.\n`
    : `Imported ${report.archive} into the ${report.target} store (schema version ${report.schemaVersion}).\n`;
  const verdict = report.ok
    ? 'Counts and hashes match the archive.\n'
    : 'MISMATCH: the target differs from the archive.\n';
  return `${head}${rows}  photo objects    ${b.matching}/${b.expected} matching (${b.present} present)\n${verdict}`;
}
