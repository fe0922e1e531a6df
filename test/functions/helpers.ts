import request from 'supertest'
import { expect } from 'vitest'
import { eventually } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'

/** Test configuration: quick retries, quick re-runs of jobs whose process died. */
export const FUNCTIONS_TEST_ENV = {
  FUNCTIONS_RETRY_BACKOFF_MS: '50',
  FUNCTIONS_JOB_LOCK_MS: '2000',
  FUNCTIONS_IDLE_MS: '60000',
}

/** A server to call: the test platform, or a `stratus start` process the test spawned. */
export type Server = Pick<TestPlatform, 'url' | 'serviceKey'>

/** The service key header. */
export const service = (t: Server) => ({ authorization: `Bearer ${t.serviceKey}` })

/**
 * A function that says it started (its event id, published to `startedQueue`), then computes for `ms`
 * and logs `finished`: long enough to kill its process mid-run.
 */
export function busyFunctionCode(startedQueue: string, ms: number): string {
  return `export default async (event, ctx) => {
    await ctx.queue.publish(${JSON.stringify(startedQueue)}, event.id)
    const until = Date.now() + ${ms}
    while (Date.now() < until) {}
    ctx.log.info('finished')
  }`
}

/** PUT /admin/v1/functions/{name}; expects 201 and returns the version. */
export async function deploy(t: Server, name: string, body: Record<string, unknown>): Promise<number> {
  const res = await request(t.url).put(`/admin/v1/functions/${name}`).set(service(t)).send(body)
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.version as number
}

export interface ExecutionView {
  id: string
  version: number
  trigger: string
  eventId: string
  status: string
  attempt: number
  startedAt: string
  durationMs: number
  logs: { level: string; msg: string; time: string }[]
  error: { name: string; message: string; stack?: string } | null
}

/** GET …/executions (all of them, newest first). */
export async function executions(
  t: TestPlatform,
  name: string,
  query: Record<string, string> = {},
): Promise<ExecutionView[]> {
  const res = await request(t.url)
    .get(`/admin/v1/functions/${name}/executions`)
    .query({ limit: '1000', ...query })
    .set(service(t))
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.executions
}

/** Waits until `name` has at least `count` executions matching `filter`, and returns them. */
export function waitForExecutions(
  t: TestPlatform,
  name: string,
  count: number,
  filter: (e: ExecutionView) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<ExecutionView[]> {
  return eventually(
    async () => {
      const list = (await executions(t, name)).filter(filter)
      return list.length >= count ? list : undefined
    },
    timeoutMs,
    `${count} executions of ${name}`,
  ) as Promise<ExecutionView[]>
}

/** POST /queue/v1/{queue}/messages with the service key. */
export async function publish(
  t: TestPlatform,
  queue: string,
  body: Record<string, unknown>,
): Promise<{ id: string; duplicate: boolean }> {
  const res = await request(t.url).post(`/queue/v1/${queue}/messages`).set(service(t)).send(body)
  expect(res.status, JSON.stringify(res.body)).toBe(202)
  return res.body
}
