import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';

/** Options of {@link webPlugin}. */
export interface WebPluginOptions {
  /** Folder holding the Vite build (index.html, admin.html, enrol.html, assets/); defaults to `<repo>/dist/web`. */
  root?: string;
  /** Re-read the HTML files on every request (development with `vite build --watch`). */
  reloadHtml?: boolean;
}

/**
 * Content-Security-Policy of the kiosk and admin pages: scripts and styles only from our own origin (no inline code),
 * camera frames as blob:/mediastream:, photos as blob:/data:, requests only to our own API.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Cache policy of content-hashed files: safe to keep for a year on any CDN. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/** Default location of the built web assets: `dist/web` at the repository root (from `src/web` or `dist/web`). */
export function defaultWebRoot(): string {
  return resolve(fileURLToPath(new URL('../../dist/web/', import.meta.url)));
}

type Page = 'index.html' | 'admin.html' | 'enrol.html';

/**
 * Serves the kiosk (`/`), the admin single-page app (`/admin`, `/admin/...`) and the self-service enrolment page
 * (`/enrol/<token>`) with their hashed assets under `/assets/`. HTML is never cached and carries a strict CSP; assets are immutable.
 */
export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, options) => {
  const root = options.root ?? defaultWebRoot();
  const cache = new Map<Page, string>();
  const readPage = (page: Page): string | undefined => {
    const cached = options.reloadHtml ? undefined : cache.get(page);
    if (cached !== undefined) return cached;
    const file = join(root, page);
    if (!existsSync(file)) return undefined;
    const html = readFileSync(file, 'utf8');
    cache.set(page, html);
    return html;
  };

  const sendPage = (reply: FastifyReply, page: Page): FastifyReply => {
    const html = readPage(page);
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', WEB_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
    if (html === undefined) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The facegate web UI is not built. Run `npm run build:web` (or `npm run build`) and reload.');
    }
    return reply.type('text/html; charset=utf-8').send(html);
  };

  registerAssets(app, join(root, 'assets'));
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'index.html'));
  app.get('/kiosk', { schema: { hide: true } }, (_request, reply) => reply.redirect('/', 301));
  app.get('/admin', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'admin.html'));
  app.get('/admin/*', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'admin.html'));
  // The token stays in the page's address only: the page reads it and calls /v1/enrol/{token}.
  app.get('/enrol/:token', { schema: { hide: true } }, (_request, reply) => sendPage(reply, 'enrol.html'));
};

function registerAssets(app: FastifyInstance, assets: string): void {
  if (!existsSync(assets)) {
    app.get('/assets/*', { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(404)
        .header('cache-control', 'no-store')
        .send({
          error: { code: 'NOT_FOUND', message: 'Web assets are not built', requestId: _request.id },
        }),
    );
    return;
  }
  void app.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    dotfiles: 'deny',
    // File names carry a content hash, so a file never changes under its name.
    cacheControl: false,
    etag: false,
    lastModified: false,
    setHeaders: (reply) => {
      reply.header('cache-control', IMMUTABLE_CACHE);
      reply.header('x-content-type-options', 'nosniff');
    },
    schemaHide: true,
  });
}

export default webPlugin;
