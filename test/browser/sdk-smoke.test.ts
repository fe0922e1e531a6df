import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM, RUN_BROWSER, warnIfNoBrowser } from '../support/browser.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

// The SDK in a real browser: a page that imports a browser bundle of `@stratus/sdk` (sdk/dist, bundled
// here with esbuild) runs in headless Chromium against a running platform, twice: calling the API on
// the page's own origin (through a proxy, as behind one host name), and on the API's own origin,
// allowed by CORS_ORIGINS (every write method must pass the preflight). Chromium is the Debian package
// (`apt-get install -y chromium`); no browser is ever downloaded. Without it the browser tests are
// skipped, unless REQUIRE_BROWSER=1 (CI sets it), where a missing browser fails.

const ROOT = path.resolve(import.meta.dirname, '../..')
const FIXTURES = path.join(import.meta.dirname, 'fixtures')
const SDK_ENTRY = path.join(ROOT, 'sdk/dist/index.js')

warnIfNoBrowser('browser smoke test')

/** The SDK as one browser ESM file, and the files that went into it (relative to the repo). */
async function bundleSdk(): Promise<{ code: string; inputs: string[] }> {
  if (!existsSync(SDK_ENTRY)) throw new Error(`${SDK_ENTRY} is missing: run \`npm run build\` first`)
  const result = await build({
    entryPoints: [SDK_ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) }
}

/**
 * Serves the fixture page, its script and the SDK bundle on a loopback port of its own, and passes
 * every other request (WebSocket upgrades too) to the API once `proxyTo` is set: the page can then talk
 * to the API on its own origin, as an app and its API behind one host name do.
 */
async function servePage(
  bundle: string,
): Promise<{ origin: string; server: Server; proxyTo(url: string): void }> {
  const files: Record<string, [type: string, body: string]> = {
    '/': ['text/html; charset=utf-8', readFileSync(path.join(FIXTURES, 'sdk-smoke.html'), 'utf8')],
    '/sdk-smoke.js': ['text/javascript', readFileSync(path.join(FIXTURES, 'sdk-smoke.js'), 'utf8')],
    '/sdk.js': ['text/javascript', bundle],
  }
  let target: URL | null = null
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://page').pathname]
    if (file) {
      response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1])
      return
    }
    if (!target) {
      response.writeHead(404).end()
      return
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', () => response.destroy())
    request.pipe(upstream)
  })
  server.on('upgrade', (request, socket, head) => {
    if (!target) return socket.destroy()
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`]
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`)
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
      upstream.write(head)
      socket.pipe(upstream).pipe(socket)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    proxyTo: (url) => {
      target = new URL(url)
    },
  }
}

/** An admin call with the service key; fails on anything but 2xx. */
async function admin(t: TestPlatform, method: string, route: string, body: unknown): Promise<void> {
  const res = await fetch(`${t.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`)
}

interface PageResult {
  ok: boolean
  steps?: {
    userId: string
    sessionStored: boolean
    firstVersion: number
    snapshots: { docs: string[]; changes: string[] }[]
    secondArrived: string[]
    updatedVersion: number
    listedAfterRemove: number
    upload: { size: number; contentType: string }
    download: { text: string; contentType: string }
    denied: string
    invoked: unknown
    sessionAfterSignOut: string | null
  }
  error?: { name?: string; code?: string; message: string; stack?: string }
}

describe('SDK in the browser', () => {
  let bundle: { code: string; inputs: string[] }

  beforeAll(async () => {
    bundle = await bundleSdk()
  })

  it('bundles for the browser with no Node-only import', () => {
    // Every file of the bundle is the SDK's own: nothing from node_modules (`ws` least of all).
    expect(bundle.inputs.length).toBeGreaterThan(0)
    for (const input of bundle.inputs) expect(input).toMatch(/^sdk\/dist\//)
    expect(bundle.code).not.toMatch(/["'`]node:/)
    expect(bundle.code).not.toMatch(/\brequire\s*\(/)
    expect(bundle.code).not.toMatch(/import\s*\(\s*["'`]ws["'`]\s*\)|from\s*["'`]ws["'`]|WebSocketServer/)
    // `ws` is reached only through a variable specifier, which a bundler leaves to run time.
    expect(bundle.code).toMatch(/await import\(\s*(\/\*[^*]*\*\/\s*)?specifier\s*\)/)
  })

  describe('headless Chromium', () => {
    let t: TestPlatform | undefined
    let page: Awaited<ReturnType<typeof servePage>> | undefined
    let context: BrowserContext | undefined
    let userDataDir: string | undefined
    const suffix = Date.now().toString(36)
    const names = { collection: `notes${suffix}`, bucket: `files${suffix}`, function: `hello${suffix}` }

    beforeAll(async () => {
      if (!RUN_BROWSER || !HAS_CHROMIUM) return
      page = await servePage(bundle.code)
      userDataDir = mkdtempSync(path.join(os.tmpdir(), 'stratus-chromium-'))
      const [platform, browser] = await Promise.all([
        startTestPlatform('embedded', { CORS_ORIGINS: page.origin, RATE_LIMIT_SIGNUP: '1000' }),
        chromium.launchPersistentContext(userDataDir, {
          executablePath: CHROMIUM,
          headless: true,
          args: CHROMIUM_ARGS,
        }),
      ])
      t = platform
      context = browser
      page.proxyTo(platform.url)
      await Promise.all([
        admin(platform, 'PUT', `/admin/v1/collections/${names.collection}`, {
          rules: {
            read: 'auth != null && doc.owner == auth.uid',
            create: 'auth != null && request.data.owner == auth.uid',
            update: 'auth != null && doc.owner == auth.uid',
          },
        }),
        admin(platform, 'PUT', `/admin/v1/buckets/${names.bucket}`, {
          rules: { read: 'auth != null', write: 'auth != null', delete: 'auth != null' },
        }),
        admin(platform, 'PUT', `/admin/v1/functions/${names.function}`, {
          code: `export default async (event) => ({
            greeting: 'hello ' + event.data.body.name,
            uid: event.data.auth ? event.data.auth.uid : null,
          })`,
          triggers: [{ type: 'http', public: true }],
        }),
      ])
    })

    afterAll(async () => {
      await context?.close()
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
      await new Promise((resolve) => (page ? page.server.close(resolve) : resolve(undefined)))
      await t?.close()
    })

    /** Opens the page against the API at `apiUrl()` and checks everything it reports. */
    async function smoke(apiUrl: () => string): Promise<void> {
      if (!HAS_CHROMIUM) {
        throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: apt-get install -y chromium`)
      }
      const api = apiUrl()
      const tab = await context!.newPage()
      const sockets: string[] = []
      const frames: string[] = []
      const problems: string[] = []
      tab.on('websocket', (socket) => {
        sockets.push(socket.url())
        socket.on('framereceived', (frame) => frames.push(String(frame.payload)))
      })
      tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
      tab.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      try {
        await tab.goto(`${page!.origin}/?${new URLSearchParams({ api, ...names })}`)
        await tab.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, null, {
          timeout: 20_000,
        })
        const result = (await tab.evaluate(
          () => (globalThis as { __result?: unknown }).__result,
        )) as PageResult
        expect(result.ok, `${JSON.stringify(result.error)}\n${problems.join('\n')}`).toBe(true)
        const steps = result.steps!

        expect(steps.sessionStored).toBe(true)
        expect(steps.firstVersion).toBe(1)
        expect(steps.snapshots[0]).toEqual({ docs: ['first'], changes: ['added:first'] })
        expect(steps.snapshots.at(-1)).toEqual({ docs: ['first', 'second'], changes: ['added:second'] })
        expect(steps.updatedVersion).toBe(2)
        expect(steps.upload).toEqual({ size: 22, contentType: 'text/plain' })
        expect(steps.download).toEqual({ text: 'hello from the browser', contentType: 'text/plain' })
        expect(steps.listedAfterRemove).toBe(0)
        expect(steps.denied).toBe('auth/forbidden 403')
        expect(steps.invoked).toEqual({ greeting: 'hello browser', uid: steps.userId })
        expect(steps.sessionAfterSignOut).toBeNull()

        // The second write reached the page as a change frame on the browser's own WebSocket.
        const host = new URL(api).host
        expect(sockets.some((url) => url.startsWith(`ws://${host}/realtime/v1?access_token=`))).toBe(true)
        const secondId = steps.secondArrived[0]!.split(':')[1]
        const changes = frames.map((f) => JSON.parse(f) as { type: string; document?: { id: string } })
        expect(changes.some((f) => f.type === 'change' && f.document?.id === secondId)).toBe(true)
      } finally {
        await tab.close()
      }
    }

    it.skipIf(!RUN_BROWSER)(
      "same origin (API behind the page's host): signs up, writes, listens over its WebSocket, stores an object, calls a function",
      () => smoke(() => page!.origin),
      30_000,
    )

    // The page calls the API on another origin: every write method must pass the CORS preflight.
    it.skipIf(!RUN_BROWSER)(
      'cross origin (CORS_ORIGINS lists the page): the same flow',
      () => smoke(() => t!.url),
      30_000,
    )
  })
})
