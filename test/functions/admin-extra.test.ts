import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { nextCronTimes } from '../../services/core/cron.ts'
import { eventually, uniqueName } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { deploy, executions, FUNCTIONS_TEST_ENV, publish, service, waitForExecutions } from './helpers.ts'

const PASSWORD = 'correct horse battery'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

// The admin routes the console needs for functions: versions, executions and reruns, dead letters in
// bulk, schedules, the event catalog and the deploy-time trigger check, with their role checks.
describe.each(LANES)('functions admin API for the console (%s)', (lane) => {
  const t = usePlatform(lane, { ...FUNCTIONS_TEST_ENV, RATE_LIMIT_SIGNIN: '0' })
  const api = () => request(t.url)

  async function signIn(role: 'viewer' | 'developer'): Promise<{ token: string; email: string }> {
    const email = `${uniqueName(role)}@example.com`.toLowerCase()
    const created = await api()
      .post('/admin/v1/admins')
      .set(service(t))
      .send({ email, password: PASSWORD, role })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const session = await api().post('/admin/v1/session').send({ email, password: PASSWORD })
    expect(session.status).toBe(200)
    return { token: session.body.token, email }
  }

  /** GET /admin/v1/executions/{id} once the execution is recorded. */
  const executionById = (id: string) =>
    eventually(
      async () => {
        const res = await api().get(`/admin/v1/executions/${id}`).set(service(t))
        return res.status === 200 ? res.body : undefined
      },
      15_000,
      `execution ${id}`,
    )

  it('pages versions newest first with who deployed them; one version in full with env values masked', async () => {
    const developer = await signIn('developer')
    const code = (n: number) => `export default async () => ({ v: ${n}, note: 'é' })`
    await deploy(t, 'versioned', {
      code: code(1),
      env: { API_KEY: 's3cr3t-one', KEEP: 'k' },
      triggers: [{ type: 'http' }],
    })
    const v2 = await api()
      .put('/admin/v1/functions/versioned')
      .set(bearer(developer.token))
      .send({
        code: code(2),
        env: { API_KEY: 's3cr3t-two', KEEP: 'k', NEW: 'n' },
        timeoutMs: 900,
        triggers: [{ type: 'http' }],
      })
    expect(v2.status, JSON.stringify(v2.body)).toBe(201)
    await deploy(t, 'versioned', {
      code: code(3),
      env: { KEEP: 'k' },
      triggers: [{ type: 'http', public: true }],
    })

    const first = await api().get('/admin/v1/functions/versioned/versions?limit=2').set(service(t))
    expect(first.status).toBe(200)
    expect(first.body).toEqual({
      versions: [
        {
          version: 3,
          createdAt: expect.any(String),
          deployedBy: 'service',
          codeSize: Buffer.byteLength(code(3)),
          triggers: [{ type: 'http', public: true }],
          live: true,
        },
        {
          version: 2,
          createdAt: expect.any(String),
          deployedBy: developer.email,
          codeSize: Buffer.byteLength(code(2)),
          triggers: [{ type: 'http' }],
          live: false,
        },
      ],
      nextCursor: '2',
    })
    const second = await api().get('/admin/v1/functions/versioned/versions?limit=2&cursor=2').set(service(t))
    expect(second.body.versions.map((v: { version: number }) => v.version)).toEqual([1])
    expect(second.body.nextCursor).toBeNull()

    await api()
      .post('/admin/v1/functions/versioned/rollback')
      .set(service(t))
      .send({ version: 2 })
      .expect(200)
    const all = await api().get('/admin/v1/functions/versioned/versions').set(service(t))
    expect(all.body.versions.map((v: { version: number; live: boolean }) => [v.version, v.live])).toEqual([
      [3, false],
      [2, true],
      [1, false],
    ])

    const full = await api().get('/admin/v1/functions/versioned/versions/2?compareTo=1').set(service(t))
    expect(full.status).toBe(200)
    expect(full.body).toEqual({
      name: 'versioned',
      version: 2,
      live: true,
      createdAt: expect.any(String),
      deployedBy: developer.email,
      code: code(2),
      codeSize: Buffer.byteLength(code(2)),
      entry: 'default',
      env: { API_KEY: '••••', KEEP: '••••', NEW: '••••' },
      triggers: [{ type: 'http' }],
      limits: { timeoutMs: 900, memoryMb: 128, concurrency: 10, retries: 2 },
      envChanges: { comparedTo: 1, added: ['NEW'], removed: [], changed: ['API_KEY'] },
    })
    const plain = await api().get('/admin/v1/functions/versioned/versions/1').set(service(t))
    expect(plain.body).not.toHaveProperty('envChanges')
    // No route shows a value: not the version, not the function, not the list.
    for (const url of ['/versions/1', '/versions/2', '/versions', '']) {
      const res = await api().get(`/admin/v1/functions/versioned${url}`).set(service(t))
      expect(res.text).not.toMatch(/s3cr3t/)
    }

    for (const [url, status, code] of [
      ['/admin/v1/functions/versioned/versions/9', 404, 'functions/not-found'],
      ['/admin/v1/functions/versioned/versions/1?compareTo=9', 404, 'functions/not-found'],
      ['/admin/v1/functions/nope/versions', 404, 'functions/not-found'],
      ['/admin/v1/functions/nope/versions/1', 404, 'functions/not-found'],
      ['/admin/v1/functions/versioned/versions?cursor=abc', 400, 'request/invalid'],
      ['/admin/v1/functions/versioned/versions?limit=0', 400, 'request/invalid'],
      ['/admin/v1/functions/versioned/versions/0', 400, 'request/invalid'],
      ['/admin/v1/functions/versioned/versions/x', 400, 'request/invalid'],
      ['/admin/v1/functions/versioned/versions/1?compareTo=x', 400, 'request/invalid'],
      ['/admin/v1/functions/versioned/versions/1?reveal=true', 400, 'request/invalid'],
    ] as const) {
      const res = await api().get(url).set(service(t))
      expect([url, res.status, res.body.error?.code]).toEqual([url, status, code])
    }

    // What was read can be deployed again: a masked value keeps the live version's (v2's) value.
    const kept = await api()
      .put('/admin/v1/functions/versioned')
      .set(service(t))
      .send({
        code: 'export default async (event, ctx) => ({ key: ctx.env.API_KEY, keep: ctx.env.KEEP })',
        env: { API_KEY: '••••', NEW: '••••', KEEP: 'k2' },
        triggers: [{ type: 'http', public: true }],
      })
    expect(kept.status, JSON.stringify(kept.body)).toBe(201)
    expect((await api().post('/functions/v1/versioned')).body).toEqual({ key: 's3cr3t-two', keep: 'k2' })
    const changes = await api()
      .get(`/admin/v1/functions/versioned/versions/${kept.body.version}?compareTo=2`)
      .set(service(t))
    expect(changes.body.envChanges).toEqual({ comparedTo: 2, added: [], removed: [], changed: ['KEEP'] })
    for (const [fn, env] of [
      ['versioned', { GONE: '••••' }],
      ['never-deployed', { API_KEY: '••••' }],
    ] as const) {
      const res = await api()
        .put(`/admin/v1/functions/${fn}`)
        .set(service(t))
        .send({ code: 'export default async () => 1', env, triggers: [{ type: 'http' }] })
      expect([fn, res.status, res.body.error.code]).toEqual([fn, 400, 'request/invalid'])
    }
  })

  it('refuses triggers that can never fire, with a suggestion; lists the event catalog', async () => {
    const code = 'export default async () => {}'
    for (const [triggers, details] of [
      [
        [{ type: 'event', event: 'db.document.create' }],
        { index: 0, field: 'event', suggestion: 'db.document.created' },
      ],
      [[{ type: 'event', event: 'db.*' }], { index: 0, field: 'event', suggestion: 'db.**' }],
      [[{ type: 'event', event: 'schedule.tick' }], { index: 0, field: 'event' }],
      [[{ type: 'event', event: 'functions.function.changed' }], { index: 0, field: 'event' }],
      [
        [{ type: 'http' }, { type: 'event', event: 'db.document.created', subject: 'collections/posts/*' }],
        { index: 1, field: 'subject', suggestion: 'collections/posts/documents/*' },
      ],
      [
        [{ type: 'event', event: 'auth.user.*', subject: 'user/*' }],
        { index: 0, field: 'subject', suggestion: 'users/*' },
      ],
    ] as const) {
      const res = await api().put('/admin/v1/functions/bad-trigger').set(service(t)).send({ code, triggers })
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(res.body.error.code).toBe('functions/invalid-trigger')
      expect(res.body.error.details).toMatchObject({ ...details, suggestion: expect.any(String) })
    }
    expect((await api().get('/admin/v1/functions/bad-trigger').set(service(t))).status).toBe(404)
    await deploy(t, 'good-trigger', {
      code,
      triggers: [
        { type: 'event', event: 'db.document.*', subject: 'collections/posts/documents/*' },
        { type: 'event', event: 'storage.object.created', subject: 'buckets/avatars/objects/**' },
        { type: 'event', event: '*.*.created' },
      ],
    })

    const res = await api().get('/admin/v1/event-types').set(service(t))
    expect(res.status).toBe(200)
    const types = res.body.eventTypes as Array<{ type: string; triggerable: boolean }>
    expect(types.find((e) => e.type === 'db.document.created')).toEqual({
      type: 'db.document.created',
      subject: 'collections/{collection}/documents/{id}',
      description: expect.any(String),
      triggerable: true,
      example: {
        subject: 'collections/posts/documents/p1',
        data: { document: expect.objectContaining({ id: 'p1' }) },
      },
    })
    expect(types.find((e) => e.type === 'schedule.tick')?.triggerable).toBe(false)
    expect(types.map((e) => e.type)).not.toContain('functions.function.changed')
  })

  it('filters executions by trigger, status and time; shows one with its event; reruns it under a new key', async () => {
    await deploy(t, 'echo', {
      code: `export default async (event, ctx) => { ctx.log.info(JSON.stringify(event.data.payload)) }`,
      triggers: [{ type: 'event', event: 'queue.message.published', subject: 'queues/rerun-src' }],
    })
    const before = new Date(Date.now() - 1000).toISOString()
    const msg = await publish(t, 'rerun-src', { payload: { n: 1 } })
    const [original] = await waitForExecutions(t, 'echo', 1)
    expect(original).toMatchObject({ trigger: 'event', eventId: msg.id, status: 'succeeded' })

    const list = (query: Record<string, string>) =>
      api().get('/admin/v1/functions/echo/executions').query(query).set(service(t))
    expect(
      (await list({ trigger: 'event', status: 'succeeded', from: before })).body.executions,
    ).toHaveLength(1)
    expect((await list({ trigger: 'queue' })).body.executions).toHaveLength(0)
    expect((await list({ status: 'failed' })).body.executions).toHaveLength(0)
    expect((await list({ from: new Date(Date.now() + 60_000).toISOString() })).body.executions).toHaveLength(
      0,
    )
    expect((await list({ to: before })).body.executions).toHaveLength(0)
    expect(
      (await list({ from: before, to: new Date(Date.now() + 1000).toISOString() })).body.executions,
    ).toHaveLength(1)
    for (const query of [
      { from: 'yesterday' },
      { to: '2026-13-45T00:00:00Z' },
      { from: '2026-11-30' },
      { trigger: 'cron' },
      { from: '2026-11-30T12:00:00Z', to: '2026-11-30T11:00:00Z' },
    ] as Record<string, string>[]) {
      const res = await list(query)
      expect([res.status, res.body.error?.code], JSON.stringify(query)).toEqual([400, 'request/invalid'])
    }

    const detail = await api().get(`/admin/v1/executions/${original!.id}`).set(service(t))
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({
      id: original!.id,
      function: 'echo',
      trigger: 'event',
      status: 'succeeded',
      logs: [{ level: 'info', msg: '{"n":1}' }],
      error: null,
      origin: null,
      eventSource: 'outbox',
      event: {
        id: msg.id,
        type: 'queue.message.published',
        subject: 'queues/rerun-src',
        data: { payload: { n: 1 } },
      },
    })

    // Reruns are new executions of the same event under keys of their own: the success above does not skip them.
    const rerun = await api().post(`/admin/v1/executions/${original!.id}/rerun`).set(service(t))
    expect(rerun.status, JSON.stringify(rerun.body)).toBe(202)
    const first = await executionById(rerun.body.executionId)
    expect(first).toMatchObject({
      trigger: 'event',
      status: 'succeeded',
      eventId: `${msg.id}.rerun.1`,
      origin: { kind: 'rerun', sourceExecutionId: original!.id },
      eventSource: 'outbox',
      event: { id: msg.id },
      logs: [{ msg: '{"n":1}' }],
    })
    // A rerun of the rerun numbers on from the same event.
    const again = await api().post(`/admin/v1/executions/${first.id}/rerun`).set(service(t)).send({})
    expect(again.status).toBe(202)
    expect(await executionById(again.body.executionId)).toMatchObject({
      eventId: `${msg.id}.rerun.2`,
      origin: { kind: 'rerun', sourceExecutionId: first.id },
    })
    const listed = await list({ trigger: 'event' })
    expect(listed.body.executions.filter((e: { origin?: unknown }) => e.origin)).toHaveLength(2)

    // Once retention has deleted the event, there is nothing to run again.
    await t.platform.db.query('DELETE FROM outbox WHERE event_id = $1', [msg.id])
    const gone = await api().post(`/admin/v1/executions/${original!.id}/rerun`).set(service(t))
    expect([gone.status, gone.body.error.code]).toEqual([410, 'functions/event-not-retained'])
    expect((await api().get(`/admin/v1/executions/${original!.id}`).set(service(t))).body).toMatchObject({
      event: null,
      eventSource: null,
    })

    const missing = await api().post('/admin/v1/executions/no-such-execution/rerun').set(service(t))
    expect([missing.status, missing.body.error.code]).toEqual([404, 'functions/not-found'])
    expect((await api().get('/admin/v1/executions/no-such-execution').set(service(t))).status).toBe(404)
    expect((await api().get('/admin/v1/executions/bad%20id').set(service(t))).status).toBe(400)
    const junk = await api()
      .post(`/admin/v1/executions/${original!.id}/rerun`)
      .set(service(t))
      .send({ extra: 1 })
    expect([junk.status, junk.body.error.code]).toEqual([400, 'request/invalid'])
  })

  it('reruns an HTTP execution with the request given, answering with its outcome', async () => {
    await deploy(t, 'adder', {
      code: `export default async (event) => ({ sum: event.data.body.a + event.data.body.b, method: event.data.method })`,
      triggers: [{ type: 'http', public: true }],
    })
    const call = await api().post('/functions/v1/adder').send({ a: 1, b: 2 })
    expect(call.body).toEqual({ sum: 3, method: 'POST' })
    const id = call.headers['x-stratus-execution-id'] as string
    const original = await executionById(id)
    expect(original).toMatchObject({ trigger: 'http', event: null, eventSource: null })
    const without = await api().post(`/admin/v1/executions/${id}/rerun`).set(service(t))
    expect([without.status, without.body.error.code]).toEqual([400, 'request/invalid'])
    const rerun = await api()
      .post(`/admin/v1/executions/${id}/rerun`)
      .set(service(t))
      .send({ request: { method: 'PUT', body: { a: 20, b: 22 } } })
    expect(rerun.status, JSON.stringify(rerun.body)).toBe(200)
    expect(rerun.body).toEqual({
      executionId: expect.any(String),
      status: 'succeeded',
      durationMs: expect.any(Number),
      response: { status: 200, headers: {}, body: { sum: 42, method: 'PUT' } },
      error: null,
    })
    expect(await executionById(rerun.body.executionId)).toMatchObject({
      trigger: 'http',
      origin: { kind: 'rerun', sourceExecutionId: id },
    })
  })

  it('retries dead letters in bulk (by ids, by function, all), purges them, deletes one', async () => {
    const failing = {
      code: `export default async () => { throw new Error('nope') }`,
      retries: 0,
      triggers: [{ type: 'queue', queue: 'dl-q' }],
    }
    await deploy(t, 'dl-fn', failing)
    const sent = await Promise.all([1, 2, 3, 4].map((n) => publish(t, 'dl-q', { payload: { n } })))
    const letters = async (fn: string) =>
      (await api().get(`/admin/v1/dead-letters?function=${fn}`).set(service(t))).body.deadLetters as Array<{
        id: string
        eventId: string
      }>
    const dead = (await eventually(async () => {
      const list = await letters('dl-fn')
      return list.length === 4 ? list : undefined
    }))!
    expect(dead.map((d) => d.eventId).sort()).toEqual(sent.map((m) => m.id).sort())

    for (const body of [
      {},
      { ids: [] },
      { all: false },
      { ids: [dead[0]!.id], all: true },
      { function: 'dl-fn', all: true },
      { ids: [{}] },
    ]) {
      const res = await api().post('/admin/v1/dead-letters/retry').set(service(t)).send(body)
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([400, 'request/invalid'])
    }

    // Fixed, then retried: the two named first, then the rest of the function's.
    await deploy(t, 'dl-fn', { ...failing, code: 'export default async () => {}' })
    const byIds = await api()
      .post('/admin/v1/dead-letters/retry')
      .set(service(t))
      .send({ ids: [dead[0]!.id, dead[1]!.id, dead[1]!.id, 'no-such-letter'] })
    expect(byIds.body).toEqual({ retried: 2, remaining: 0 })
    expect(await letters('dl-fn')).toHaveLength(2)
    const byFunction = await api()
      .post('/admin/v1/dead-letters/retry')
      .set(service(t))
      .send({ function: 'dl-fn' })
    expect(byFunction.body).toEqual({ retried: 2, remaining: 0 })
    const fixed = await waitForExecutions(t, 'dl-fn', 4, (e) => e.version === 2)
    expect(fixed.every((e) => e.status === 'succeeded' && e.trigger === 'queue')).toBe(true)
    expect(await letters('dl-fn')).toEqual([])

    await deploy(t, 'dl-purge', { ...failing, triggers: [{ type: 'queue', queue: 'dl-purge-q' }] })
    await Promise.all([1, 2, 3].map((n) => publish(t, 'dl-purge-q', { payload: { n } })))
    const purgeable = await eventually(async () => {
      const list = await letters('dl-purge')
      return list.length === 3 ? list : undefined
    })
    const one = await api().delete(`/admin/v1/dead-letters/${purgeable![0]!.id}`).set(service(t))
    expect(one.status).toBe(204)
    const twice = await api().delete(`/admin/v1/dead-letters/${purgeable![0]!.id}`).set(service(t))
    expect([twice.status, twice.body.error.code]).toEqual([404, 'functions/not-found'])
    for (const query of ['?function=dl-purge&all=true', '?all=true', '?function=bad.name', '?nope=1']) {
      const res = await api().delete(`/admin/v1/dead-letters${query}`).set(service(t))
      expect([res.status, res.body.error?.code], query).toEqual([400, 'request/invalid'])
    }
    const purged = await api().delete('/admin/v1/dead-letters?function=dl-purge').set(service(t))
    expect(purged.body).toEqual({ deleted: 2 })
    expect(await letters('dl-purge')).toEqual([])
    // Nothing left anywhere: all of them is none.
    expect(
      (await api().post('/admin/v1/dead-letters/retry').set(service(t)).send({ all: true })).body,
    ).toEqual({ retried: 0, remaining: 0 })
    // Without a function: every dead letter.
    expect((await api().delete('/admin/v1/dead-letters').set(service(t))).body).toEqual({ deleted: 0 })
  })

  it('lists schedules with their next ticks and last run; runs one now, marked manual', async () => {
    await deploy(t, 'nightly', {
      code: `export default async (event, ctx) => { ctx.log.info(JSON.stringify(event.data)) }`,
      triggers: [{ type: 'http' }, { type: 'schedule', cron: '0 3 * * *', timezone: 'Europe/Paris' }],
    })
    await deploy(t, 'quarterly', {
      code: 'export default async () => {}',
      triggers: [{ type: 'schedule', cron: '0 0 0 1 */3 *' }],
    })
    const asked = Date.now()
    const res = await api().get('/admin/v1/schedules').set(service(t))
    expect(res.status).toBe(200)
    const byName = Object.fromEntries(res.body.schedules.map((s: { function: string }) => [s.function, s]))
    const expected = (cron: string, timezone: string) =>
      nextCronTimes(cron, { timezone, after: asked, count: 5 }).map((d) => d.toISOString())
    expect(byName.nightly).toEqual({
      function: 'nightly',
      version: 1,
      index: 1,
      cron: '0 3 * * *',
      timezone: 'Europe/Paris',
      nextRuns: expected('0 3 * * *', 'Europe/Paris'),
      lastRun: null,
    })
    expect(byName.quarterly).toMatchObject({ timezone: 'UTC', nextRuns: expected('0 0 0 1 */3 *', 'UTC') })

    const run = await api().post('/admin/v1/schedules/nightly/run').set(service(t))
    expect(run.status, JSON.stringify(run.body)).toBe(202)
    const ran = await executionById(run.body.executionId)
    expect(ran).toMatchObject({
      function: 'nightly',
      trigger: 'schedule',
      status: 'succeeded',
      origin: { kind: 'manual' },
      eventSource: 'schedule',
      event: {
        type: 'schedule.tick',
        subject: 'functions/nightly',
        data: { cron: '0 3 * * *', timezone: 'Europe/Paris', manual: true },
      },
    })
    expect(JSON.parse(ran.logs[0].msg)).toMatchObject({ manual: true, cron: '0 3 * * *' })
    const after = await api().get('/admin/v1/schedules').set(service(t))
    expect(after.body.schedules.find((s: { function: string }) => s.function === 'nightly').lastRun).toEqual({
      at: ran.startedAt,
      executionId: ran.id,
      status: 'succeeded',
    })
    // A schedule's execution reruns like any other: the same tick, under a key of its own.
    const rerun = await api().post(`/admin/v1/executions/${ran.id}/rerun`).set(service(t))
    expect(rerun.status).toBe(202)
    expect(await executionById(rerun.body.executionId)).toMatchObject({
      trigger: 'schedule',
      eventId: `${ran.eventId}.rerun.1`,
      event: { id: ran.eventId, data: { manual: true } },
    })

    for (const [url, body, status, code] of [
      ['/admin/v1/schedules/nightly/run', { index: 0 }, 404, 'functions/not-found'],
      ['/admin/v1/schedules/nightly/run', { index: 7 }, 404, 'functions/not-found'],
      ['/admin/v1/schedules/versioned/run', undefined, 404, 'functions/not-found'],
      ['/admin/v1/schedules/no-such-function/run', undefined, 404, 'functions/not-found'],
      ['/admin/v1/schedules/nightly/run', { index: 'x' }, 400, 'request/invalid'],
      ['/admin/v1/schedules/nightly/run', { when: 'now' }, 400, 'request/invalid'],
      ['/admin/v1/schedules/bad.name/run', undefined, 400, 'request/invalid'],
    ] as const) {
      const req = api().post(url).set(service(t))
      const res = body === undefined ? await req : await req.send(body)
      expect([url, res.status, res.body.error?.code]).toEqual([url, status, code])
    }
    const withIndex = await api().post('/admin/v1/schedules/nightly/run').set(service(t)).send({ index: 1 })
    expect(withIndex.status).toBe(202)
  })

  it('lets a viewer read everything here and change nothing; a developer may rerun', async () => {
    const viewer = await signIn('viewer')
    const developer = await signIn('developer')
    await deploy(t, 'roles', {
      code: 'export default async () => ({ ok: true })',
      triggers: [
        { type: 'http', public: true },
        { type: 'event', event: 'db.document.created' },
        { type: 'schedule', cron: '0 0 1 1 *' },
      ],
    })
    const call = await api().post('/functions/v1/roles')
    const id = call.headers['x-stratus-execution-id'] as string
    await executionById(id)
    for (const url of [
      '/admin/v1/functions/roles/versions',
      '/admin/v1/functions/roles/versions/1',
      '/admin/v1/functions/roles/executions?trigger=http',
      `/admin/v1/executions/${id}`,
      '/admin/v1/schedules',
      '/admin/v1/event-types',
      '/admin/v1/dead-letters',
    ]) {
      const res = await api().get(url).set(bearer(viewer.token))
      expect([url, res.status]).toEqual([url, 200])
    }
    for (const [method, url, body] of [
      ['post', `/admin/v1/executions/${id}/rerun`, { request: {} }],
      ['post', '/admin/v1/dead-letters/retry', { all: true }],
      ['delete', '/admin/v1/dead-letters', undefined],
      ['delete', '/admin/v1/dead-letters/some-id', undefined],
      ['post', '/admin/v1/schedules/roles/run', undefined],
      ['post', '/admin/v1/functions/roles/replay', { fromSequence: 1, dryRun: true }],
      ['delete', '/admin/v1/functions/roles/replays/some-id', undefined],
    ] as const) {
      const req = api()[method](url).set(bearer(viewer.token))
      const res = body === undefined ? await req : await req.send(body)
      expect([method, url, res.status, res.body.error?.code]).toEqual([method, url, 403, 'auth/forbidden'])
    }
    const rerun = await api()
      .post(`/admin/v1/executions/${id}/rerun`)
      .set(bearer(developer.token))
      .send({ request: {} })
    expect(rerun.status).toBe(200)
    const run = await api().post('/admin/v1/schedules/roles/run').set(bearer(developer.token))
    expect(run.status).toBe(202)
    const audit = await api().get('/admin/v1/audit?limit=20').set(service(t))
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'POST /admin/v1/executions/:id/rerun',
        'POST /admin/v1/schedules/:function/run',
      ]),
    )
    expect((await executions(t, 'roles')).length).toBeGreaterThanOrEqual(2)
  })
})
