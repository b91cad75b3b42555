import { existsSync } from 'node:fs'
import path from 'node:path'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'

/** The Content-Security-Policy of every response: no inline script or style, same-origin only. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"]
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AnalyLit</title></head>
<body><h1>AnalyLit</h1><p>The web application is not built: run <code>npm run build:web</code> (or <code>npm ci</code>) and restart the service.
The API is available under <a href="/api/docs">/api</a>.</p></body></html>
`

declare module 'fastify' {
  interface FastifyInstance {
    /** Answers a GET of a path that is no route nor file (not under /api): the SPA's index.html, or the not-built notice. */
    spaFallback: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined
  }
}

/**
 * The web application: security headers (helmet, with the CSP above) on
 * every response, and the SPA's build output (WEB_DIST_DIR) at `/`. Hashed
 * files under /assets/ are cached for a year, everything else revalidated;
 * the .br/.gz files written by `npm run build:web` are sent to clients that
 * accept them. A GET of any other path outside /api that has no file
 * extension gets index.html, so the SPA's own routes survive a reload.
 */
export default fp(async (fastify) => {
  await fastify.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES } })
  const root = fastify.config.WEB_DIST_DIR
  const built = existsSync(path.join(root, 'index.html'))
  const isSpaPath = (request: FastifyRequest) => {
    const pathname = request.url.split('?')[0]
    return (request.method === 'GET' || request.method === 'HEAD') && !/^\/api(\/|$)/.test(pathname) &&
      !pathname.startsWith('/assets/') && !/\.[a-z0-9]+$/i.test(pathname)
  }
  if (!built) {
    fastify.log.warn(`the web application is not built (no ${path.join(root, 'index.html')}): run \`npm run build:web\`; / serves a notice meanwhile`)
    fastify.decorate('spaFallback', (request: FastifyRequest, reply: FastifyReply) =>
      isSpaPath(request) ? reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT) : undefined)
    return
  }
  await fastify.register(fastifyStatic, {
    root,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (res, filePath) => {
      const immutable = path.relative(root, filePath).split(path.sep)[0] === 'assets'
      res.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
  })
  fastify.decorate('spaFallback', (request: FastifyRequest, reply: FastifyReply) =>
    isSpaPath(request) ? reply.status(200).sendFile('index.html') : undefined)
}, { name: 'web', dependencies: ['config'], fastify: '5.x' })
