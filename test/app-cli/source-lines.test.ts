import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { type CliResult, stratus, tempDir } from './run-cli.ts'

// esbuild passes a regular expression's body through unchecked; the sandbox's engine refuses this one
// when it compiles the module, and says where in the bundle. Lines 1-6 are types the bundle drops.
const BROKEN = `interface Order {
  id: string
  total: number
}

type Verdict = { ok: boolean }

export default async (event: { data: Order }): Promise<Verdict> => {
  const sku = /^(SKU-\\d+$/
  return { ok: sku.test(event.data.id) }
}
`
// Line 9 (1-based), the regular expression from column 15.
const BROKEN_AT = 'functions/orders/check.ts:9:15'

// Throws while the module loads, in a module the function imports: the error is where it is thrown.
const CONFIG = `/** Read once, when the module loads. */
function region(): string {
  const value = (globalThis as { REGION?: string }).REGION
  if (value === undefined) {
    throw new Error('REGION is not configured')
  }
  return value
}

export const REGION: string = region()
`
const REPORT = `import { REGION } from './config.ts'

export default async (): Promise<{ region: string }> => ({ region: REGION })
`
// Line 5, where \`new Error\` starts.
const THROWN_AT = 'functions/config.ts:5:11'

describe.each(LANES)('stratus deploy points code errors at the source line (%s)', (lane) => {
  let t: TestPlatform
  const cleanups: (() => void)[] = []
  beforeAll(async () => {
    t = await startTestPlatform(lane, { FUNCTIONS_IDLE_MS: '60000' })
  })
  afterAll(async () => {
    for (const c of cleanups) c()
    await t?.close()
  })

  const cli = (dir: string, args: string[]): Promise<CliResult> =>
    stratus([...args, '--url', t.url], { cwd: dir, env: { STRATUS_SERVICE_KEY: t.serviceKey } })
  const project = (functions: Record<string, string>): string => {
    const { dir, cleanup } = tempDir('stratus-source-lines-')
    cleanups.push(cleanup)
    const yaml = Object.keys(functions)
      .map((name) => `  ${name}:\n    source: functions/${functions[name]}\n    triggers: [{ type: http }]\n`)
      .join('')
    writeFileSync(path.join(dir, 'stratus.yaml'), `functions:\n${yaml}`)
    mkdirSync(path.join(dir, 'functions/orders'), { recursive: true })
    return dir
  }
  const functionStatus = async (name: string) =>
    (
      await request(t.url)
        .get(`/admin/v1/functions/${name}`)
        .set({ authorization: `Bearer ${t.serviceKey}` })
    ).status

  it('a compile error the server finds is printed at the TypeScript line, for deploy and plan', async () => {
    const dir = project({ checkOrder: 'orders/check.ts' })
    writeFileSync(path.join(dir, 'functions/orders/check.ts'), BROKEN)
    const deployed = await cli(dir, ['deploy', '--yes'])
    expect(deployed.status).toBe(1)
    expect(deployed.stderr).toContain(`${BROKEN_AT}: The code does not compile: `)
    expect(deployed.stderr).toMatch(/Invalid regular expression.*\(function checkOrder\)/)
    expect(deployed.stderr).not.toMatch(/checkOrder\.js:/) // no position in the bundle
    expect(await functionStatus('checkOrder')).toBe(404)

    const planned = await cli(dir, ['plan'])
    expect(planned.status).toBe(1)
    expect(planned.stderr).toContain(`${BROKEN_AT}: `)
  }, 120_000)

  it('a throw while the module loads is printed where it is thrown, in the imported file', async () => {
    const dir = project({ report: 'report.ts' })
    writeFileSync(path.join(dir, 'functions/config.ts'), CONFIG)
    writeFileSync(path.join(dir, 'functions/report.ts'), REPORT)
    const deployed = await cli(dir, ['deploy', '--yes'])
    expect(deployed.status).toBe(1)
    expect(deployed.stderr).toContain(
      `${THROWN_AT}: The module threw while loading: REGION is not configured (function report)`,
    )
    expect(await functionStatus('report')).toBe(404)
  }, 120_000)

  it('an error without a position names the source file and keeps the server message', async () => {
    const dir = project({ noExport: 'none.ts' })
    writeFileSync(path.join(dir, 'functions/none.ts'), 'export const notAHandler = 1\n')
    const deployed = await cli(dir, ['deploy', '--yes'])
    expect(deployed.status).toBe(1)
    expect(deployed.stderr).toMatch(/functions\/none\.ts: functions\.noExport: \S/)
    expect(await functionStatus('noExport')).toBe(404)
  }, 120_000)
})
