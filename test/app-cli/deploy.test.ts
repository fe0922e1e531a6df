import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { type CliResult, startStratus, stratus, tempDir } from './run-cli.ts'

const FUNCTIONS_TEST_ENV = { FUNCTIONS_IDLE_MS: '60000' }

describe.each(LANES)('stratus app commands against a server (%s)', (lane) => {
  let t: TestPlatform
  const cleanups: (() => void)[] = []
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(async () => {
    for (const c of cleanups) c()
    await t?.close()
  })

  const auth = () => ({ authorization: `Bearer ${t.serviceKey}` })
  /** `stratus <args>` in `dir`, talking to the test server with its service key. */
  // GREETING: the env variable of the template's function, which `pull` writes as a reference.
  const cli = (dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    stratus([...args, '--url', t.url], {
      cwd: dir,
      env: { STRATUS_SERVICE_KEY: t.serviceKey, GREETING: 'Hello', ...env },
    })
  const project = (yaml?: string): string => {
    const { dir, cleanup } = tempDir('stratus-app-')
    cleanups.push(cleanup)
    if (yaml !== undefined) writeFileSync(path.join(dir, 'stratus.yaml'), yaml)
    return dir
  }
  const planJson = async (dir: string, args: string[] = []) => {
    const plan = await cli(dir, ['plan', '--json', ...args])
    expect(plan.stderr).toBe('')
    expect(plan.status).toBe(0)
    return JSON.parse(plan.stdout) as {
      changes: { action: string; kind: string; name: string; dataLoss: boolean }[]
    }
  }
  const addDocument = async (col: string, data: Record<string, unknown>) => {
    const res = await request(t.url).post(`/db/v1/collections/${col}/documents`).set(auth()).send({ data })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.id as string
  }
  const documentIds = async (col: string): Promise<string[]> => {
    const res = await request(t.url).get(`/db/v1/collections/${col}/documents?limit=100`).set(auth())
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return (res.body.documents as { id: string }[]).map((d) => d.id).sort()
  }

  it('init → deploy → pull → plan is empty, and the deployed function runs', async () => {
    const parent = project()
    expect((await stratus(['init', 'app'], { cwd: parent })).status).toBe(0)
    const dir = path.join(parent, 'app')
    const deployed = await cli(dir, ['deploy'])
    expect(deployed.stderr).toBe('')
    expect(deployed.status).toBe(0)
    expect(deployed.stdout).toMatch(/\+ create\s+collection\s+messages/)
    expect(deployed.stdout).toMatch(/\+ create\s+function\s+hello/)
    expect(deployed.stdout).toMatch(/Deployed /)

    const hello = await request(t.url).post('/functions/v1/hello').send({ name: 'Ada' })
    expect(hello.status, JSON.stringify(hello.body)).toBe(200)
    expect(hello.body).toEqual({ greeting: 'Hello, Ada!' })
    expect(await documentIds('messages')).toHaveLength(1)

    const pulled = await cli(dir, ['pull'])
    expect(pulled.stderr).toBe('')
    expect(pulled.status).toBe(0)
    const file = readFileSync(path.join(dir, 'stratus.yaml'), 'utf8')
    expect(file).toMatch(/source: functions\/hello\.ts/) // the source still bundles to the live code
    expect((await planJson(dir)).changes).toEqual([])
    // A second pull writes the same file: the order is stable.
    expect((await cli(dir, ['pull'])).status).toBe(0)
    expect(readFileSync(path.join(dir, 'stratus.yaml'), 'utf8')).toBe(file)
  }, 240_000)

  it('a rename with renamedFrom keeps every document', async () => {
    const dir = project('collections:\n  notes:\n    rules: { read: "auth != null" }\n')
    expect((await cli(dir, ['deploy'])).status).toBe(0)
    const ids = []
    for (let i = 0; i < 5; i++) ids.push(await addDocument('notes', { n: i }))
    writeFileSync(
      path.join(dir, 'stratus.yaml'),
      'collections:\n  journal:\n    renamedFrom: notes\n    rules: { read: "auth != null" }\n',
    )
    const plan = await planJson(dir)
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'rename', kind: 'collection', name: 'journal', dataLoss: false }),
    ])
    const renamed = await cli(dir, ['deploy'])
    expect(renamed.stderr).toBe('')
    expect(renamed.status).toBe(0)
    expect(await documentIds('journal')).toEqual(ids.sort())
    expect((await request(t.url).get('/admin/v1/collections/notes').set(auth())).status).toBe(404)
  }, 180_000)

  it('diff --exit-code fails after an edit through the API and passes after pull', async () => {
    const dir = project('collections:\n  drafts:\n    rules: { read: "auth != null", create: false }\n')
    expect((await cli(dir, ['deploy'])).status).toBe(0)
    const clean = await cli(dir, ['diff', '--exit-code'])
    expect(clean.status).toBe(0)
    expect(clean.stdout).toMatch(/^No changes: the server matches stratus\.yaml\.\n/)
    const cleanJson = JSON.parse((await cli(dir, ['diff', '--json'])).stdout)
    expect(cleanJson.changes).toEqual([])
    expect(cleanJson.drifted).not.toContainEqual(expect.objectContaining({ name: 'drafts' }))

    const edit = await request(t.url)
      .put('/admin/v1/collections/drafts')
      .set(auth())
      .send({ rules: { read: 'auth != null', create: 'auth != null' } })
    expect(edit.status, JSON.stringify(edit.body)).toBe(200)
    const drift = await cli(dir, ['diff', '--exit-code'])
    expect(drift.status).toBe(1)
    expect(drift.stdout).toMatch(/~ update\s+collection\s+drafts/)
    // Without --exit-code, drift is reported and the exit code is 0.
    expect((await cli(dir, ['diff'])).status).toBe(0)

    expect((await cli(dir, ['pull'])).status).toBe(0)
    const file = readFileSync(path.join(dir, 'stratus.yaml'), 'utf8')
    expect(file).toMatch(/create: auth != null/)
    const after = await cli(dir, ['diff', '--exit-code'])
    expect([after.status, after.stderr], file).toEqual([0, ''])
    // The file matches live again; the edit made outside a deployment is still named.
    expect(after.stdout).toMatch(
      /^No changes: the server matches stratus\.yaml\.\nChanged outside a deployment since the last one: .*collection drafts/,
    )
  }, 180_000)

  it('refuses what it cannot send: a missing variable, a compile error, a server it cannot reach, a bad key', async () => {
    const dir = project(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own reference syntax
      'functions:\n  f:\n    source: functions/f.ts\n    triggers: [{ type: http }]\n    env: { TOKEN: "${env:APP_CLI_TEST_TOKEN}" }\n',
    )
    mkdirSync(path.join(dir, 'functions'))
    writeFileSync(path.join(dir, 'functions/f.ts'), 'export default async () => 1\n')
    const missing = await cli(dir, ['deploy'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(
      /environment variables not set: APP_CLI_TEST_TOKEN \(functions\.f\.env\.TOKEN\)/,
    )

    writeFileSync(path.join(dir, 'functions/f.ts'), 'const x: number = \nexport default async () => x\n')
    const broken = await cli(dir, ['deploy'], { APP_CLI_TEST_TOKEN: 't' })
    expect(broken.status).toBe(1)
    expect(broken.stderr).toMatch(/^stratus: functions\/f\.ts:2:1: /)
    expect((await request(t.url).get('/admin/v1/functions/f').set(auth())).status).toBe(404)

    writeFileSync(path.join(dir, 'functions/f.ts'), 'export default async () => 1\n')
    const away = await stratus(['plan', '--url', 'http://127.0.0.1:9', '--key', 'k'], {
      cwd: dir,
      env: { APP_CLI_TEST_TOKEN: 't' },
    })
    expect(away.status).toBe(1)
    expect(away.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/)
    const badKey = await stratus(['plan', '--url', t.url, '--key', 'not-a-key'], {
      cwd: dir,
      env: { APP_CLI_TEST_TOKEN: 't' },
    })
    expect(badKey.status).toBe(1)
    expect(badKey.stderr).toMatch(/401/)
    const badUrl = await stratus(['plan', '--url', 'nowhere'], { cwd: dir })
    expect(badUrl.status).toBe(1)
    expect(badUrl.stderr).toMatch(/--url must be a URL/)
  }, 180_000)

  it('without --key or STRATUS_SERVICE_KEY it uses the local project key, as `stratus keys` reads it', async () => {
    const dir = project('queues:\n  local_key_queue: {}\n')
    const { PORT: _port, ...serverEnv } = t.env
    const plan = await stratus(['plan', '--url', t.url], { cwd: dir, env: serverEnv })
    expect(plan.stderr).toBe('')
    expect(plan.status).toBe(0)
    expect(plan.stdout).toMatch(/\+ create\s+queue\s+local_key_queue/)
  }, 120_000)

  it('dev deploys, redeploys after a save, and prints the executions with their logs', async () => {
    const parent = project()
    expect((await stratus(['init', 'devapp'], { cwd: parent })).status).toBe(0)
    const dir = path.join(parent, 'devapp')
    const dev = startStratus(['dev', '--url', t.url], {
      cwd: dir,
      env: { STRATUS_SERVICE_KEY: t.serviceKey },
    })
    try {
      await eventually(
        () => /\[dev\] deployed/.test(dev.output()),
        60_000,
        `dev's first deploy: ${dev.output()}`,
      )
      const source = path.join(dir, 'functions/hello.ts')
      writeFileSync(
        source,
        readFileSync(source, 'utf8').replace(
          'return { greeting: text }',
          "ctx.log.info('saved once')\n  return { greeting: text, saved: 1 }",
        ),
      )
      // Generous: the machine is shared; the redeploy itself is asserted, not its speed.
      // A few calls a second, not one every 20 ms: each call is an execution the embedded database
      // records, and a flood of them on a loaded machine only delays the listing dev polls.
      await eventually(
        async () => {
          const saved = (await request(t.url).post('/functions/v1/hello').send({})).body.saved === 1
          if (!saved) await new Promise((resolve) => setTimeout(resolve, 250))
          return saved
        },
        60_000,
        `the redeploy after a save: ${dev.output()}`,
      )
      // Reported for the record; no timing is asserted on a shared machine.
      console.info(
        dev
          .output()
          .match(/\[dev\] deployed \S+ \d+ ms after the save/g)
          ?.join('\n'),
      )
      await eventually(
        () => /\[hello\] succeeded .*\n\s+info\s+saved once/.test(dev.output()),
        60_000,
        async () => {
          // What the server had recorded by then, beside what dev printed.
          const listed = await request(t.url).get('/admin/v1/functions/hello/executions?limit=5').set(auth())
          return `streamed logs: ${dev.output()}\nserver's latest executions of hello: ${JSON.stringify(listed.body)}`
        },
      )
    } finally {
      expect(await dev.stop()).toBe(0)
    }
  }, 240_000)

  it('rollback re-applies the deployment before the latest, or the one named', async () => {
    const v1 = 'collections:\n  rolled:\n    rules: { read: "auth != null" }\n'
    const dir = project(v1)
    const first = await cli(dir, ['deploy', '--json'])
    expect(first.status).toBe(0)
    const firstId = (JSON.parse(first.stdout) as { id: string }).id
    writeFileSync(path.join(dir, 'stratus.yaml'), v1.replace('"auth != null"', 'true'))
    expect((await cli(dir, ['deploy'])).status).toBe(0)
    const rules = async () =>
      (await request(t.url).get('/admin/v1/collections/rolled').set(auth())).body.collection.rules as {
        read: unknown
      }
    expect((await rules()).read).toBe(true)

    const back = await cli(dir, ['rollback'])
    expect(back.stderr).toBe('')
    expect(back.status).toBe(0)
    expect(back.stdout).toMatch(new RegExp(`Rolled back to ${firstId}`))
    expect((await rules()).read).toBe('auth != null')
    // The file (v2) now differs from live: drift.
    expect((await cli(dir, ['diff', '--exit-code'])).status).toBe(1)

    const named = await cli(dir, ['rollback', firstId])
    expect(named.status).toBe(0)
    const unknown = await cli(dir, ['rollback', 'no-such-deployment'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(
      /^stratus: POST \/admin\/v1\/deployments\/no-such-deployment\/rollback: 4\d\d /,
    )
  }, 180_000)

  // Last: it prunes what the other tests deployed.
  it('a delete without --allow-destroy is refused with exit code 1 and a message; nothing changes', async () => {
    const dir = project('collections:\n  scratch: {}\n')
    expect((await cli(dir, ['deploy'])).status).toBe(0)
    await addDocument('scratch', { keep: true })
    // The file names everything live (pull) but scratch.
    expect((await cli(dir, ['pull'])).status).toBe(0)
    const file = readFileSync(path.join(dir, 'stratus.yaml'), 'utf8')
    writeFileSync(path.join(dir, 'stratus.yaml'), file.replace(/\n {2}scratch:[^\n]*(\n {4}[^\n]*)*/, ''))
    const plan = await planJson(dir, ['--prune'])
    expect(plan.changes).toEqual([
      expect.objectContaining({ action: 'delete', kind: 'collection', name: 'scratch', dataLoss: true }),
    ])

    const refused = await cli(dir, ['deploy', '--prune'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(
      /refused: this deploy would lose data \(delete collection scratch\)\. Nothing was changed/,
    )
    expect(await documentIds('scratch')).toHaveLength(1)
    // Without --prune a resource the file does not name is kept.
    expect((await planJson(dir)).changes).toEqual([])

    const destroyed = await cli(dir, ['deploy', '--prune', '--allow-destroy'])
    expect(destroyed.stderr).toBe('')
    expect(destroyed.status).toBe(0)
    expect((await request(t.url).get('/admin/v1/collections/scratch').set(auth())).status).toBe(404)
  }, 240_000)
})
