import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'medium', include: ['test/medium/**/*.spec.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.spec.ts'],
          // Stops at once, with one line, when there is no Chromium (FACEGATE_CHROMIUM or /usr/bin/chromium).
          globalSetup: ['test/e2e/e2e-global-setup.ts'],
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
