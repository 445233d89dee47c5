import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const clientRoot = fileURLToPath(new URL('./client/', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Vite build of the kiosk (`index.html`), admin (`admin.html`) and enrolment (`enrol.html`) pages into `dist/web`.
 * `dist/web` also receives the compiled server plugin from tsc, so only the web output is cleaned.
 */
export default defineConfig({
  root: clientRoot,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: false,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // The module preload polyfill would be an inline script; the CSP forbids those.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: {
        kiosk: `${clientRoot}index.html`,
        admin: `${clientRoot}admin.html`,
        enrol: `${clientRoot}enrol.html`,
      },
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  plugins: [
    {
      name: 'facegate-clean-web-output',
      apply: 'build',
      buildStart() {
        for (const entry of ['assets', 'index.html', 'admin.html', 'enrol.html']) {
          rmSync(`${outDir}${entry}`, { recursive: true, force: true });
        }
      },
    },
  ],
});
