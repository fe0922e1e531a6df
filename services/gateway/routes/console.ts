import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from '../../http/send-error.ts'

/**
 * The console's Content-Security-Policy: nothing but this origin, no inline script, no framing. Styles
 * are files too; CodeMirror's and uPlot's runtime styles go through the CSSOM (constructed style sheets
 * and element.style), which `style-src` does not govern. `blob:` images: object previews are fetched
 * with the session's credentials and shown from a blob URL.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Vite names the files under assets/ by their content hash: they never change under one name. */
const ASSET_CACHE = 'public, max-age=31536000, immutable'
/** index.html names the current assets, so browsers must revalidate it each time. */
const PAGE_CACHE = 'no-cache'

/** Options of `consoleRoutes`. */
export interface ConsoleOptions {
  /** The built console (console/dist): index.html and assets/. */
  dir: string
}

function isAsset(url: string): boolean {
  return url.startsWith('/console/assets/')
}

/**
 * Registered with prefix `/console`. Serves the built admin console under /console/: hashed assets with a year's cache, index.html for
 * every other path below /console/ (the console's router owns deep links), each with a strict CSP.
 * Without a build, /console/ answers 503 `console/not-built` naming the command that builds it.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const indexFile = path.join(options.dir, 'index.html')
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('content-security-policy', CONSOLE_CSP)
    done()
  })
  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'no-slash' }, (_request, reply) =>
    reply.redirect('/console/'),
  )

  if (!existsSync(indexFile)) {
    const notBuilt = (_request: FastifyRequest, reply: FastifyReply) =>
      sendError(
        reply,
        'service/unavailable',
        'The console is not built: run `npm run build --workspace console` (npm start does it for you)',
      )
    app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, notBuilt)
    app.get('/*', { schema: { hide: true } }, notBuilt)
    return
  }

  // Read once: a rebuild comes with a restart (npm start builds before it starts the server).
  const indexHtml = readFileSync(indexFile)
  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', PAGE_CACHE).type('text/html; charset=utf-8').send(indexHtml)

  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, sendIndex)
  await app.register(fastifyStatic, {
    root: options.dir,
    prefix: '/',
    index: false,
    wildcard: true,
    schemaHide: true,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (res, file) => {
      res.setHeader('cache-control', path.basename(file) === 'index.html' ? PAGE_CACHE : ASSET_CACHE)
    },
  })
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? request.url
    if ((request.method === 'GET' || request.method === 'HEAD') && !isAsset(url)) {
      return sendIndex(request, reply)
    }
    return sendError(reply, 'request/not-found', `No console file at ${url}`)
  })
}
