import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { sendError } from '../../http/send-error.ts'

/**
 * The console's Content-Security-Policy: nothing but this origin, no inline script, no framing. Styles
 * are files too, but CodeMirror writes its themes into a `<style>` element (style-mod does so for a
 * document; only shadow roots get constructed style sheets): each page gets a nonce for it, in the
 * header and in `<meta name="csp-nonce">`, which the console hands to CodeMirror (`EditorView.cspNonce`).
 * uPlot's runtime styles go through element.style (the CSSOM), which `style-src` does not govern.
 * `blob:` images: object previews are fetched with the session's credentials and shown from a blob URL.
 */
export function consoleCsp(styleNonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    styleNonce ? `style-src 'self' 'nonce-${styleNonce}'` : "style-src 'self'",
    ...CSP_REST,
  ].join('; ')
}

const CSP_REST = [
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
]

/** The policy of everything but the page itself (assets, errors): no inline style at all. */
export const CONSOLE_CSP = consoleCsp()

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
 * Registered with prefix `/console`. Serves the built admin console under /console/: hashed assets
 * with a year's cache, index.html for every other path below /console/ (the console's router owns deep
 * links), each with a strict CSP. Without a build, /console/ answers 503 `service/unavailable` naming
 * the command that builds it.
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
  const [head, tail] = splitAtHead(readFileSync(indexFile, 'utf8'))
  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) => {
    // A fresh nonce per page: the page is never cached (no-cache), so none is ever reused.
    const nonce = randomBytes(18).toString('base64')
    return reply
      .header('cache-control', PAGE_CACHE)
      .header('content-security-policy', consoleCsp(nonce))
      .type('text/html; charset=utf-8')
      .send(`${head}<meta name="csp-nonce" content="${nonce}" />${tail}`)
  }

  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, sendIndex)
  app.get('/index.html', { schema: { hide: true } }, sendIndex)
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

/** index.html cut where the nonce's meta element goes: at the end of <head>. */
function splitAtHead(html: string): [string, string] {
  const at = html.indexOf('</head>')
  if (at < 0) throw new Error('console/dist/index.html has no </head>')
  return [html.slice(0, at), html.slice(at)]
}
