import request from 'supertest'
import { expect } from 'vitest'
import { PUBLISHED_THROUGH } from '../../services/outbox/outbox.ts'
import type { Server } from '../functions/helpers.ts'
import { service } from '../functions/helpers.ts'
import { eventually } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'

/** Rollups are flushed by the tests themselves (no timer fires within a test). */
export const OBSERVABILITY_TEST_ENV = { METRICS_FLUSH_MS: '600000' }

/** A handler that fails its first two attempts per event (counted in a document), then succeeds. */
export const FLAKY_CODE = `export default async (event, ctx) => {
  const doc = ctx.db.collection('attempts').doc(event.id)
  const seen = await doc.get()
  const n = seen ? seen.data.n : 0
  await doc.set({ n: n + 1 })
  if (n < 2) throw new Error('attempt ' + (n + 1) + ' fails')
  return 'ok'
}`

export interface SeriesBody {
  metric: string
  step: number
  series: Array<{ labels: Record<string, string>; points: Array<[string, number]> }>
}

/** GET /admin/v1/metrics/series over the last `minutes` minutes; expects 200. */
export async function series(
  t: Server,
  metric: string,
  query: Record<string, string> = {},
  minutes = 10,
): Promise<SeriesBody> {
  const res = await request(t.url)
    .get('/admin/v1/metrics/series')
    .query({ metric, from: new Date(Date.now() - minutes * 60_000).toISOString(), ...query })
    .set(service(t))
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body
}

/** The sum of every point of the series whose labels include `labels`. */
export function total(body: SeriesBody, labels: Record<string, string> = {}): number {
  return body.series
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.points.reduce((a, [, v]) => a + v, 0), 0)
}

export interface UsageBody {
  from: string
  to: string
  functions: Array<{ name: string; invocations: number; failures: number; gbSeconds: number }>
  buckets: Array<{ name: string; storedBytes: number; uploads: number; egressBytes: number }>
  requests: Record<string, number>
}

/** GET /admin/v1/usage over the last hour (to a minute from now, so the current minute counts). */
export async function usage(t: Server): Promise<UsageBody> {
  const res = await request(t.url)
    .get('/admin/v1/usage')
    .query({
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    })
    .set(service(t))
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body
}

/** GB-seconds as Lambda bills them: memory limit × duration rounded up to the millisecond, per execution. */
export function gbSeconds(memoryMb: number, durationsMs: readonly number[]): number {
  return durationsMs.reduce((sum, ms) => sum + memoryMb * Math.max(1, Math.ceil(ms)), 0) / (1024 * 1000)
}

/**
 * Resolves once the relay has published every event committed so far: the trace and events APIs show
 * events once the relay has numbered (events API) and published (trace API) them.
 */
export async function allPublished(t: TestPlatform): Promise<void> {
  await eventually(
    async () => {
      const [row] = await t.platform.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE sequence IS NULL OR sequence > ${PUBLISHED_THROUGH}`,
      )
      return row?.n === 0
    },
    10_000,
    'the relay to publish every event',
  )
}
