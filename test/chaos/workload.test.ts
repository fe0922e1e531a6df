import { createClient, type StratusClient } from '@stratus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DERIVED, deployWorkload } from '../../scripts/chaos/functions.ts'
import { checkInvariants } from '../../scripts/chaos/invariants.ts'
import { Observer } from '../../scripts/chaos/observer.ts'
import { collectRecords, waitForQuiescence } from '../../scripts/chaos/verdict.ts'
import { Workload } from '../../scripts/chaos/workload.ts'
import { eventually, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/lanes.ts'
import { startTestPlatform, type TestPlatform } from '../support/platform.ts'

// The chaos workload end to end on one real node, without faults: its functions deploy, its effects
// appear, the observer's queries read them back from PostgreSQL and the checker passes; then one
// effect removed by hand must fail it. (The observer reads PostgreSQL directly, so there is no embedded
// lane; the faults themselves need the cluster: test/chaos/chaos.test.ts.)
describe.skipIf(!(TEST_DATABASE_URL && TEST_REDIS_URL))('chaos workload, no faults (real)', () => {
  let t: TestPlatform
  let admin: StratusClient
  let observer: Observer
  let workload: Workload
  const runId = Date.now().toString(36)
  const lines: string[] = []

  beforeAll(async () => {
    t = await startTestPlatform('real', { FUNCTIONS_RECONCILE_INTERVAL_MS: '1000' })
    admin = createClient(t.url, { accessToken: t.serviceKey, persistSession: false })
    observer = new Observer(t.env.DATABASE_URL as string, admin, runId, new Date())
    workload = new Workload({
      url: t.url,
      runId,
      users: 2,
      shards: 2,
      writeEveryMs: 200,
      uploadEveryMs: 500,
      log: (line) => lines.push(line),
    })
  })
  afterAll(async () => {
    workload?.close()
    await observer?.close()
    await t?.close()
  })

  it('passes every invariant, and fails once an effect is gone', { timeout: 120_000 }, async () => {
    const deployedAt = Date.now()
    await deployWorkload(admin)
    await workload.prepare()
    workload.start()
    await eventually(
      () => workload.log.writes >= 12 && workload.log.uploads >= 3,
      60_000,
      'the workload to write',
    )
    await workload.stop()
    const endedAt = Date.now()
    const quiescence = await waitForQuiescence(observer, endedAt, 60, (line) => lines.push(line))
    const facts = {
      minutes: 0,
      faults: [],
      faultSlackSeconds: 5,
      deployedAt,
      endedAt,
      quiescence,
      drainBoundSeconds: 60,
      settleBoundSeconds: 60,
    }
    const records = await collectRecords(observer, workload.log, facts)
    const verdict = checkInvariants(records)
    expect(
      verdict.rows.filter((row) => !row.ok),
      lines.join('\n'),
    ).toEqual([])
    expect(records.notes.length).toBeGreaterThanOrEqual(12)
    expect(records.messages).toHaveLength(records.notes.length)
    expect(records.uploads.length).toBeGreaterThanOrEqual(3)
    expect(records.ticks.length).toBeGreaterThan(0)
    for (const listener of records.listeners) expect(listener.expected.length).toBeGreaterThan(0)
    expect(verdict.summary).toMatchObject({ lost: 0, duplicated: 0, messagesLost: 0, listenerGaps: 0 })

    const victim = records.notes[0]?.id as string
    await admin.db.collection(DERIVED).doc(`d-${victim}`).delete()
    const spoiled = checkInvariants(await collectRecords(observer, workload.log, facts))
    expect(spoiled.ok).toBe(false)
    expect(spoiled.summary.lost).toBe(1)
  })
})
