import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'

// The README's quickstart (sdk/examples/quickstart.mjs), run as a user would, in its own Node process
// against a running platform, so the example cannot rot.
const ROOT = path.resolve(import.meta.dirname, '../..')
const EXAMPLE = path.join(ROOT, 'sdk/examples/quickstart.mjs')
const run = promisify(execFile)

describe.each(LANES)('SDK quickstart example (%s)', (lane) => {
  let t: TestPlatform

  beforeAll(async () => {
    t = await startTestPlatform(lane)
  })
  afterAll(async () => {
    await t?.close()
  })

  it('runs end to end and exits 0, twice in a row', async () => {
    for (let round = 0; round < 2; round++) {
      const { stdout, stderr } = await run(process.execPath, [EXAMPLE, t.url, t.serviceKey], {
        cwd: ROOT,
        timeout: 30_000,
      })
      expect(stderr).toBe('')
      const lines = stdout.trim().split('\n')
      expect(lines[0]).toMatch(
        /^set up: collection quickstart-notes, bucket quickstart-files, function quickstart-hello v\d+$/,
      )
      expect(lines).toContainEqual(expect.stringMatching(/^signed up: quickstart-\d+@example\.com \(\S+\)$/))
      expect(lines).toContainEqual(expect.stringMatching(/^wrote: \S+ version 1$/))
      expect(lines).toContain('snapshot: 1 note(s) (added "Buy milk")')
      expect(lines).toContain('snapshot: 2 note(s) (added "Call Ada")')
      expect(lines).toContainEqual(expect.stringMatching(/^listener saw \S+ arrive$/))
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^uploaded: \S+\/hello\.txt \(25 bytes\); downloaded: "Hello from the quickstart"$/,
        ),
      )
      expect(lines).toContain("someone else's object: auth/forbidden (403)")
      const uid = /^signed up: \S+ \((\S+)\)$/m.exec(stdout)![1]
      expect(lines).toContain(
        `invoked quickstart-hello: ${JSON.stringify({ greeting: 'Hello, quickstart!', uid })}`,
      )
      expect(lines.at(-1)).toBe('signed out')
    }
  }, 60_000)

  it('prints its usage and exits 2 without a service key', async () => {
    const failure = await run(process.execPath, [EXAMPLE, t.url], { cwd: ROOT }).catch((error) => error)
    expect(failure.code).toBe(2)
    expect(failure.stderr).toMatch(/^usage: node sdk\/examples\/quickstart\.mjs <api url> <service key>/)
  })
})
