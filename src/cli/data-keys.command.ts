import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { openStorage } from '../app/adapters.js';
import { loadConfig } from '../config/config.js';
import { formatDataKeys } from '../crypto/data-cipher.js';

/** `facegate data-keys generate|reencrypt`: data keys for encryption at rest. */
export function registerDataKeyCommands(program: Command): void {
  const keys = program
    .command('data-keys')
    .description('Data keys for encryption at rest (templates, photos, TOTP)');

  keys
    .command('generate')
    .description('Print a new random AES-256 data key as id:base64 (put it first in FACEGATE_DATA_KEY)')
    .option('--id <id>', 'key id', `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`)
    .action((options: { id: string }) => {
      process.stdout.write(formatDataKeys([{ id: options.id, key: randomBytes(32) }]));
    });

  keys
    .command('reencrypt')
    .description(
      'Re-encrypt stored templates and photos under the current (first) data key, after a rotation',
    )
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const { cipher, store, blobs, close } = await openStorage(loadConfig());
      try {
        const templates = (await store.reencrypt?.()) ?? 0;
        const photos = await blobs.reencrypt();
        const result = { currentKeyId: cipher.currentKeyId, templates, photos };
        process.stdout.write(
          options.json
            ? `${JSON.stringify(result)}\n`
            : `Re-encrypted ${templates} template(s) and ${photos} photo(s) under key ${cipher.currentKeyId}.\n`,
        );
      } finally {
        await close();
      }
    });
}
