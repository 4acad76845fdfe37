import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PortalConfig } from '../config/config';

function portalDir(): string {
  // src/portal -> <repo>/dist/portal; dist/src/portal -> <repo>/dist/portal
  const fromSrc = join(__dirname, '..', '..', 'dist', 'portal');
  const fromDist = join(__dirname, '..', '..', '..', 'dist', 'portal');
  return existsSync(join(fromDist, 'index.html')) ? fromDist : fromSrc;
}

/**
 * The tenant portal (SPEC §11) at /portal/: index.html is never cached (it names the current
 * hashed assets), the hashed assets are cached for a year. The page may be framed only by
 * PORTAL_FRAME_ANCESTORS, and loads nothing but its own files.
 */
export async function servePortal(app: NestFastifyApplication, config: PortalConfig): Promise<void> {
  const root = portalDir();
  const csp = [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "object-src 'none'", `frame-ancestors ${config.frameAncestors}`,
  ].join('; ');
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/portal', (_request, reply) => reply.redirect('/portal/', 301));
  if (!existsSync(join(root, 'index.html'))) {
    fastify.get('/portal/*', (_request, reply) => reply.code(404).type('text/plain; charset=utf-8')
      .send('The portal is not built: run `npm run build` (or `npm run build:portal`).\n'));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/portal/',
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    setHeaders(res, path) {
      const isIndex = path.endsWith('index.html');
      res.header('cache-control', isIndex ? 'no-cache' : 'public, max-age=31536000, immutable');
      res.header('x-content-type-options', 'nosniff');
      res.header('referrer-policy', 'no-referrer');
      if (isIndex) res.header('content-security-policy', csp);
    },
  });
}
