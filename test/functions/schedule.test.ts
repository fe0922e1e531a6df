import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'
import { deploy, executions, FUNCTIONS_TEST_ENV, service, waitForExecutions } from './helpers.ts'

describe.each(LANES)('functions: schedule trigger (%s)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, FUNCTIONS_TEST_ENV)
  })
  afterAll(() => t?.close())

  it('fires on each tick of a 6-field cron with a tick event, and stops when the trigger goes', async () => {
    await deploy(t, 'ticker', {
      code: `export default async (event, ctx) => { ctx.log.info(JSON.stringify({ type: event.type, ...event.data })) }`,
      triggers: [{ type: 'schedule', cron: '* * * * * *', timezone: 'Europe/Paris' }],
    })
    const list = await waitForExecutions(t, 'ticker', 2)
    expect(list.every((e) => e.trigger === 'schedule' && e.status === 'succeeded')).toBe(true)
    expect(new Set(list.map((e) => e.eventId)).size).toBe(list.length)
    const tick = JSON.parse(list[0]!.logs[0]!.msg)
    expect(tick).toMatchObject({ type: 'schedule.tick', cron: '* * * * * *', timezone: 'Europe/Paris' })
    expect(Date.parse(tick.scheduledAt) % 1000).toBe(0)

    // A new version without the schedule stops it.
    await deploy(t, 'ticker', { code: 'export default async () => {}', triggers: [{ type: 'http' }] })
    await t.platform.functions.drain()
    const stopped = (await executions(t, 'ticker')).length
    await new Promise((r) => setTimeout(r, 2200))
    expect((await executions(t, 'ticker')).length).toBe(stopped)
  })

  it('deleting the function stops its schedule', async () => {
    await deploy(t, 'doomed', {
      code: 'export default async () => {}',
      triggers: [{ type: 'schedule', cron: '* * * * * *' }],
    })
    await waitForExecutions(t, 'doomed', 1)
    expect((await request(t.url).delete('/admin/v1/functions/doomed').set(service(t))).status).toBe(204)
    expect(await t.platform.jobs.schedules('functions')).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ id: 'doomed.0' })]),
    )
    await new Promise((r) => setTimeout(r, 1500))
    await t.platform.functions.drain()
    const rows = await t.platform.db.query(`SELECT 1 FROM function_executions WHERE function_name = 'doomed'`)
    expect(rows).toEqual([])
  })
})
