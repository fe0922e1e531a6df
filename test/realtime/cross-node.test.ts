import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { freePort } from '../support/ports.ts'
import { RealtimeClient } from './client.ts'
import { newCollection, put } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

// Two API processes on one Postgres + Redis: the test's platform (role all, which also relays) and a
// second `stratus start --role api` process.
describe.runIf(LANES.includes('real'))('realtime across nodes (real)', () => {
  let t: TestPlatform
  let child: ChildProcess
  let second: { url: string; serviceKey: string }
  let output = ''

  beforeAll(async () => {
    t = await startTestPlatform('real')
    const port = await freePort()
    child = spawn(process.execPath, ['--import', 'tsx', 'bin/stratus.mjs', 'start', '--role', 'api'], {
      cwd: ROOT,
      env: { ...process.env, ...t.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    second = { url: `http://127.0.0.1:${port}`, serviceKey: t.serviceKey }
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`second node exited: ${output}`)
        return (await fetch(`${second.url}/health`)).ok
      },
      60_000,
      'the second node',
    )
  })
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await t?.close()
  })

  it('delivers a change written through either node to subscribers on both', async () => {
    const col = newCollection()
    const onFirst = await RealtimeClient.connect(t.url, t.serviceKey)
    const onSecond = await RealtimeClient.connect(second.url, t.serviceKey)
    await onFirst.subscribe({ id: 's', collection: col })
    await onSecond.subscribe({ id: 's', collection: col })
    await put(t, col, 'via-first', { n: 1 })
    await put(second, col, 'via-second', { n: 2 })
    for (const client of [onFirst, onSecond]) {
      const changes = await client.waitChanges('s', 2)
      expect(changes.map((f) => f.document.id)).toEqual(['via-first', 'via-second'])
    }
    // Resume on the other node from a sequence seen on the first.
    const since = onFirst.changes('s')[0]!.sequence
    const resumed = await RealtimeClient.connect(second.url, t.serviceKey)
    await resumed.subscribe({ id: 'r', collection: col, since })
    expect(resumed.changes('r').map((f) => f.document.id)).toEqual(['via-second'])
    for (const client of [onFirst, onSecond, resumed]) client.close()
  })
})
