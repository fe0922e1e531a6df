import { readFileSync } from 'node:fs'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { deploy, executions, FUNCTIONS_TEST_ENV, service, waitForExecutions } from '../functions/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import {
  FLAKY_CODE,
  gbSeconds,
  OBSERVABILITY_TEST_ENV,
  series,
  total,
  type UsageBody,
  usage,
} from './helpers.ts'

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

describe.each(LANES)('observability: series, nodes, usage (%s)', (lane) => {
  const t = usePlatform(lane, { ...FUNCTIONS_TEST_ENV, ...OBSERVABILITY_TEST_ENV })
  const flush = () => t.platform.observability.flush()

  it('counts requests by service and status, latency, and function executions per minute', async () => {
    await flush()
    const before = await series(t, 'requests', { groupBy: 'service,status' })
    await deploy(t, 'hello', {
      code: 'export default async () => "hi"',
      memoryMb: 64,
      triggers: [{ type: 'http', public: true }],
    })
    for (let i = 0; i < 4; i++) {
      const res = await request(t.url).post('/functions/v1/hello')
      expect(res.status).toBe(200)
    }
    for (let i = 0; i < 3; i++) {
      const res = await request(t.url)
        .post('/db/v1/collections/notes/documents')
        .set(service(t))
        .send({ data: { i } })
      expect(res.status).toBe(201)
    }
    const missing = await request(t.url).get('/db/v1/collections/notes/documents/nope').set(service(t))
    expect(missing.status).toBe(404)

    // A response is counted when its connection closes, a moment after the client has it: flush until
    // the last one is in.
    let after = before
    const delta = (labels: Record<string, string>) => total(after, labels) - total(before, labels)
    await eventually(async () => {
      await flush()
      after = await series(t, 'requests', { groupBy: 'service,status' })
      return (
        delta({ service: 'db', status: '4xx' }) >= 1 && delta({ service: 'functions', status: '2xx' }) >= 4
      )
    })
    expect(delta({ service: 'db', status: '2xx' })).toBe(3)
    expect(delta({ service: 'db', status: '4xx' })).toBe(1)
    expect(delta({ service: 'functions', status: '2xx' })).toBe(4)
    // The series answers every step of the window, zero where nothing happened.
    expect(after.step).toBe(60)
    expect(after.series.every((s) => s.points.length >= 10)).toBe(true)

    const runs = await series(t, 'function_executions', { groupBy: 'function,status' })
    expect(total(runs, { function: 'hello', status: 'succeeded' })).toBe(4)
    const ungrouped = await series(t, 'function_executions')
    expect(ungrouped.series).toHaveLength(1)
    expect(ungrouped.series[0]!.labels).toEqual({})

    const p95 = await series(t, 'latency_p95', { groupBy: 'service' })
    const db = p95.series.find((s) => s.labels.service === 'db')
    expect(db?.points.length).toBeGreaterThan(0)
    expect(db!.points.every(([time, v]) => !Number.isNaN(Date.parse(time)) && v > 0 && v <= 10_000)).toBe(
      true,
    )

    // Gauges sampled at flush: one value per minute, not summed over flushes.
    const lag = await series(t, 'outbox_lag_seconds')
    expect(lag.series[0]?.points.length).toBeGreaterThan(0)
    const connections = await series(t, 'realtime_connections')
    expect(connections.series[0]!.points.every(([, v]) => v === 0)).toBe(true)
  })

  it('meters usage exactly: every attempt is an invocation, GB-seconds billed per started ms', async () => {
    await deploy(t, 'flaky', {
      code: FLAKY_CODE,
      memoryMb: 128,
      retries: 2,
      triggers: [{ type: 'queue', queue: 'flaky-jobs' }],
    })
    const published = await request(t.url)
      .post('/queue/v1/flaky-jobs/messages')
      .set(service(t))
      .send({ payload: 1 })
    expect(published.status).toBe(202)
    await waitForExecutions(t, 'flaky', 1, (e) => e.status === 'succeeded', 30_000)

    const bucket = 'metered'
    expect(
      (await request(t.url).put(`/admin/v1/buckets/${bucket}`).set(service(t)).send({})).status,
    ).toBeLessThan(300)
    for (const [key, body] of [
      ['a.txt', '0123456789'],
      ['b.txt', '01234567890123456789'],
    ] as const) {
      const res = await request(t.url)
        .put(`/storage/v1/object/${bucket}/${key}`)
        .set(service(t))
        .set('content-type', 'text/plain')
        .send(body)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    }
    const whole = await request(t.url).get(`/storage/v1/object/${bucket}/a.txt`).set(service(t))
    expect(whole.status).toBe(200)
    const part = await request(t.url)
      .get(`/storage/v1/object/${bucket}/b.txt`)
      .set(service(t))
      .set('range', 'bytes=0-4')
    expect(part.status).toBe(206)
    const head = await request(t.url).head(`/storage/v1/object/${bucket}/b.txt`).set(service(t))
    expect(head.status).toBe(200)
    // Requests are counted when their connection closes, a moment after the client has the answer:
    // flush until the last one is in.
    const u = (await eventually(async () => {
      await flush()
      const got = await usage(t)
      return (got.requests.storage ?? 0) >= 5 ? got : undefined
    })) as UsageBody

    const list = await executions(t, 'flaky')
    expect(list).toHaveLength(3)
    const flaky = u.functions.find((f) => f.name === 'flaky')
    expect(flaky).toMatchObject({ invocations: 3, failures: 2 })
    expect(flaky!.gbSeconds).toBeCloseTo(
      gbSeconds(
        128,
        list.map((e) => e.durationMs),
      ),
      12,
    )
    expect(u.buckets.find((b) => b.name === bucket)).toEqual({
      name: bucket,
      storedBytes: 30,
      uploads: 2,
      egressBytes: 15,
    })
    expect(u.requests.storage).toBe(5)
    expect(u.requests.admin).toBeGreaterThan(0)
  })

  it('lists this node while it runs', async () => {
    const res = await request(t.url).get('/admin/v1/nodes').set(service(t))
    expect(res.status).toBe(200)
    expect(res.body.nodes).toEqual([
      {
        id: t.platform.observability.nodeId,
        role: 'all',
        version: VERSION,
        startedAt: expect.any(String),
        lastSeenAt: expect.any(String),
      },
    ])
  })

  const hour = 3600_000
  const iso = (ms: number) => new Date(ms).toISOString()
  const now = Date.now()
  it.each([
    ['series without a metric', '/admin/v1/metrics/series', {}],
    ['an unknown metric', '/admin/v1/metrics/series', { metric: 'nope' }],
    ['an inherited name', '/admin/v1/metrics/series', { metric: 'constructor' }],
    ['an unknown label', '/admin/v1/metrics/series', { metric: 'requests', groupBy: 'colour' }],
    ['a bad from', '/admin/v1/metrics/series', { metric: 'requests', from: 'yesterday' }],
    ['a non-ISO from', '/admin/v1/metrics/series', { metric: 'requests', from: '1' }],
    [
      'from after to',
      '/admin/v1/metrics/series',
      { metric: 'requests', from: iso(now), to: iso(now - hour) },
    ],
    ['step 0', '/admin/v1/metrics/series', { metric: 'requests', step: '0' }],
    ['a negative step', '/admin/v1/metrics/series', { metric: 'requests', step: '-60' }],
    ['a fractional step', '/admin/v1/metrics/series', { metric: 'requests', step: '60.5' }],
    ['a step below a minute', '/admin/v1/metrics/series', { metric: 'requests', step: '30' }],
    ['a step in words', '/admin/v1/metrics/series', { metric: 'requests', step: 'minute' }],
    ['too many points', '/admin/v1/metrics/series', { metric: 'requests', from: iso(now - 30 * 24 * hour) }],
    [
      'a huge range',
      '/admin/v1/metrics/series',
      { metric: 'requests', from: '1970-01-01T00:00:00Z', step: '999999960' },
    ],
    ['usage with a bad to', '/admin/v1/usage', { to: 'soon' }],
    ['usage with from after to', '/admin/v1/usage', { from: iso(now), to: iso(now - hour) }],
    ['usage over centuries', '/admin/v1/usage', { from: '1900-01-01T00:00:00Z' }],
  ])('refuses %s with 400 request/invalid', async (_what, path, query) => {
    const res = await request(t.url).get(path).query(query).set(service(t))
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.error.code).toBe('request/invalid')
  })

  it('needs the service key', async () => {
    for (const path of ['/admin/v1/metrics/series?metric=requests', '/admin/v1/nodes', '/admin/v1/usage']) {
      expect((await request(t.url).get(path)).status).toBe(401)
    }
  })
})
