// Copies the screenshots of the last e2e run (test-results/screenshots, git-ignored) into docs/screenshots.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const from = join(root, 'test-results', 'screenshots');
const to = join(root, 'docs', 'screenshots');

const names = (await readdir(from).catch(() => [])).filter((name) => name.endsWith('.png')).sort();
if (names.length === 0) {
  process.stderr.write(`No screenshots in ${from}; run the e2e tests first (npm run test:e2e).\n`);
  process.exit(1);
}
await mkdir(to, { recursive: true });
for (const name of names) await copyFile(join(from, name), join(to, name));
process.stdout.write(`Copied ${names.length} screenshot(s) to docs/screenshots: ${names.join(', ')}\n`);
