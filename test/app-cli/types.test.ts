import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT, stratus, tempDir } from './run-cli.ts'

// `stratus types` is offline (the file alone): no server, one lane.

const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc')

const PROJECT = `collections:
  orders:
    schema:
      type: object
      required: [status, total, customer]
      additionalProperties: false
      properties:
        status: { enum: [new, paid, shipped] }
        total: { type: number }
        note: { type: string }
        customer:
          type: object
          required: [email]
          properties:
            email: { type: string }
            address: { type: object, properties: { city: { type: string } } }
  audit: {}
queues:
  emails: {}
functions:
  onOrder:
    source: functions/on-order.ts
    triggers:
      - { type: event, event: db.document.created, subject: "collections/orders/documents/*" }
  api:
    source: functions/api.ts
    triggers: [{ type: http }, { type: queue, queue: emails }]
`

const APP = `import { createClient } from '@stratus/sdk'
import type { Collections, DocumentCreated, Handlers, Order } from './stratus-types'

const app = createClient<Collections>('http://127.0.0.1:8080')

export async function place(): Promise<number> {
  const order = await app.db.collection('orders').add({ status: 'new', total: 12, customer: { email: 'a@example.com' } })
  const status: 'new' | 'paid' | 'shipped' = order.data.status
  return status === 'new' ? order.data.total : 0
}

// A collection the file does not type stays as loose as before, and so does a client without the map.
export const untyped = createClient('http://127.0.0.1:8080').db.collection('anything').add({ any: 1 })
export const audit = app.db.collection('audit').add({ free: 'form' })

export const onOrder: Handlers['onOrder'] = async (event: DocumentCreated<Order>, ctx) => {
  const city: string | undefined = event.data.document.data.customer.address?.city
  await ctx.db.collection('audit').add({ order: event.data.document.id, city })
  ctx.log.info('order', event.data.document.data.total.toFixed(2))
}

export const api: Handlers['api'] = async (event) =>
  event.type === 'http.request' ? { status: 200, body: event.data.method } : event.data.payload
`

function tsc(dir: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir })
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    child.stderr.on('data', (c) => (output += c))
    child.once('close', (status) => resolve({ status, output }))
  })
}

const cleanups: (() => void)[] = []
afterAll(() => {
  for (const c of cleanups) c()
})

describe('stratus types', () => {
  it('generates types a sample app compiles against with tsc, and a type error in the app fails it', async () => {
    const { dir, cleanup } = tempDir('stratus-types-')
    cleanups.push(cleanup)
    mkdirSync(path.join(dir, 'functions'))
    writeFileSync(path.join(dir, 'stratus.yaml'), PROJECT)
    writeFileSync(path.join(dir, 'functions/on-order.ts'), 'export default async () => {}\n')
    writeFileSync(path.join(dir, 'functions/api.ts'), 'export default async () => {}\n')
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          paths: { '@stratus/sdk': [path.join(ROOT, 'sdk/src/index.ts')] },
        },
        files: ['app.ts', 'stratus-types.ts'],
      }),
    )
    writeFileSync(path.join(dir, 'app.ts'), APP)

    const generated = await stratus(['types', '--out', 'stratus-types.ts'], { cwd: dir })
    expect(generated.stderr).toBe('')
    expect(generated.status).toBe(0)
    const ok = await tsc(dir)
    expect(ok.output).toBe('')
    expect(ok.status).toBe(0)

    // Each deliberate mistake is one the loose types of before would have let through.
    const mistakes: [string, string, RegExp][] = [
      ["status: 'new', total: 12", "status: 'lost', total: 12", /"lost"' is not assignable/],
      ["customer: { email: 'a@example.com' } })", '})', /Property 'customer' is missing/],
      ['data.total.toFixed(2)', 'data.total.toUpperCase()', /Property 'toUpperCase' does not exist/],
      ['event.data.method', 'event.data.nope', /Property 'nope' does not exist/],
    ]
    for (const [good, bad, message] of mistakes) {
      expect(APP).toContain(good)
      writeFileSync(path.join(dir, 'app.ts'), APP.replace(good, bad))
      const failed = await tsc(dir)
      expect(failed.status, bad).not.toBe(0)
      expect(failed.output).toMatch(message)
    }
  }, 180_000)

  it('init writes a project whose typed function compiles, and refuses a non-empty directory', async () => {
    const { dir, cleanup } = tempDir('stratus-init-')
    cleanups.push(cleanup)
    const target = path.join(dir, 'shop')
    const created = await stratus(['init', 'shop'], { cwd: dir })
    expect(created.status).toBe(0)
    for (const file of ['stratus.yaml', 'functions/hello.ts', 'package.json', 'tsconfig.json', 'README.md'])
      expect(created.stdout).toContain(file)
    expect((await tsc(target)).status).toBe(0)
    const again = await stratus(['init', 'shop'], { cwd: dir })
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/shop is not empty/)
  }, 120_000)

  it.each([
    ['broken YAML', 'collections:\n  orders: [\n', /^stratus: stratus\.yaml:3:1: /],
    [
      'an unknown key, with its line',
      'collections:\n  orders:\n    rulez: {}\n',
      /^stratus: stratus\.yaml:3:5: collections\.orders\.rulez: is not a known key here/,
    ],
    [
      'a source file that does not exist',
      'functions:\n  f:\n    source: functions/nope.ts\n    triggers: []\n',
      /stratus\.yaml:3:5: functions\.f\.source: functions\/nope\.ts does not exist/,
    ],
  ])(
    'refuses %s with a clear message and exit 1',
    async (_what, yaml, message) => {
      const { dir, cleanup } = tempDir('stratus-bad-')
      cleanups.push(cleanup)
      writeFileSync(path.join(dir, 'stratus.yaml'), yaml)
      const result = await stratus(['types'], { cwd: dir })
      expect(result.status).toBe(1)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
    },
    60_000,
  )

  it('refuses an unknown flag or a flag of another command with the usage', async () => {
    const { dir, cleanup } = tempDir('stratus-flags-')
    cleanups.push(cleanup)
    const unknown = await stratus(['deploy', '--force'], { cwd: dir })
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/Unknown option '--force'/)
    expect(unknown.stderr).toMatch(/Usage: stratus/)
    const misplaced = await stratus(['types', '--prune'], { cwd: dir })
    expect(misplaced.status).toBe(1)
    expect(misplaced.stderr).toMatch(/types does not take --prune/)
    const noFile = await stratus(['plan', '--key', 'k'], { cwd: dir })
    expect(noFile.status).toBe(1)
    expect(noFile.stderr).toMatch(/no stratus\.yaml in .*stratus init/)
  }, 60_000)
})
