import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { makeEvent } from '../../services/core/events.ts'
import { newEventId } from '../../services/core/ids.ts'
import { addToOutbox } from '../../services/outbox/outbox.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { deploy, FUNCTIONS_TEST_ENV, service } from './helpers.ts'

const EVENTS = 1000
const TRIGGER = { type: 'event', event: 'db.document.created', subject: 'collections/replayed/documents/*' }

interface ReplayBody {
  id: string
  status: string
  total: number
  processed: number
  skipped: number
  failed: number
}

// Replays (backfills) through HTTP: over 1,000 retained events, idempotent per version, cancellable,
// started at deploy, resumed by another runner when the one holding it stops renewing its claim.
describe.each(LANES)('functions: replay (%s)', (lane) => {
  // A high rate keeps the suite fast; the pacing itself is FUNCTIONS_REPLAY_RATE's.
  const t = usePlatform(lane, { ...FUNCTIONS_TEST_ENV, FUNCTIONS_REPLAY_RATE: '100000' })
  const api = () => request(t.url)
  let first = 0
  let last = 0

  /** Waits until replay `id` of `name` is no longer running, and returns it. */
  const finished = (name: string, id: string, timeoutMs = 60_000) =>
    eventually(
      async () => {
        const res = await api().get(`/admin/v1/functions/${name}/replays/${id}`).set(service(t))
        expect(res.status, JSON.stringify(res.body)).toBe(200)
        return res.body.status === 'running' ? undefined : (res.body as ReplayBody)
      },
      timeoutMs,
      `replay ${id}`,
    )

  const replayExecutions = async (name: string) =>
    (
      await t.platform.db.query<{ n: number; events: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM function_executions
         WHERE function_name = $1 AND trigger = 'replay'`,
        [name],
      )
    )[0]!

  it('commits 1,000 events nobody listens to yet', async () => {
    // As the database service writes them: one outbox row each (no function matches them yet).
    await t.platform.db.tx(async (tx) => {
      const events = Array.from({ length: EVENTS }, (_, i) =>
        makeEvent({
          type: 'db.document.created',
          subject: `collections/replayed/documents/d${i}`,
          data: {
            document: {
              id: `d${i}`,
              collection: 'replayed',
              data: { i },
              version: 1,
              createdAt: new Date().toISOString(),
              updatedAt: new Date().toISOString(),
            },
          },
        }),
      )
      await addToOutbox(tx, events)
      // Another collection's events: the trigger's subject leaves them out.
      await addToOutbox(tx, [
        makeEvent({
          type: 'db.document.created',
          subject: 'collections/other/documents/x',
          data: {
            document: { id: 'x', collection: 'other', data: {}, version: 1, createdAt: '', updatedAt: '' },
          },
        }),
      ])
    })
    const range = await eventually(async () => {
      const [row] = await t.platform.db.query<{ n: number; lo: number; hi: number }>(
        `SELECT count(*)::int AS n, min(sequence) AS lo, max(sequence) AS hi FROM outbox
         WHERE subject LIKE 'collections/replayed/%' AND sequence IS NOT NULL`,
      )
      return row!.n === EVENTS ? row : undefined
    })
    first = Number(range!.lo)
    last = Number(range!.hi)
  })

  it('replays 1,000 events once each; a second replay skips every one already done', async () => {
    await deploy(t, 'replayer', { code: 'export default async () => {}', triggers: [TRIGGER] })
    const dry = await api()
      .post('/admin/v1/functions/replayer/replay')
      .set(service(t))
      .send({ fromSequence: first, dryRun: true })
    expect([dry.status, dry.body]).toEqual([200, { total: EVENTS }])

    const started = await api()
      .post('/admin/v1/functions/replayer/replay')
      .set(service(t))
      .send({ fromSequence: first })
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    expect(started.body).toEqual({ id: expect.any(String), total: EVENTS })
    expect(await finished('replayer', started.body.id)).toMatchObject({
      id: started.body.id,
      status: 'done',
      total: EVENTS,
      processed: EVENTS,
      skipped: 0,
      failed: 0,
    })
    expect(await replayExecutions('replayer')).toEqual({ n: EVENTS, events: EVENTS })

    const again = await api()
      .post('/admin/v1/functions/replayer/replay')
      .set(service(t))
      .send({ fromSequence: first })
    expect(again.status).toBe(202)
    expect(await finished('replayer', again.body.id)).toMatchObject({
      status: 'done',
      total: EVENTS,
      processed: 0,
      skipped: EVENTS,
      failed: 0,
    })
    expect(await replayExecutions('replayer')).toEqual({ n: EVENTS, events: EVENTS })

    // Forced, over a time window and the first ten sequences: those run again, keyed apart.
    const forced = await api()
      .post('/admin/v1/functions/replayer/replay')
      .set(service(t))
      .send({ fromTime: new Date(Date.now() - 3600_000).toISOString(), toSequence: first + 9, force: true })
    expect(forced.body.total).toBe(10)
    expect(await finished('replayer', forced.body.id)).toMatchObject({
      status: 'done',
      processed: 10,
      skipped: 0,
    })
    const keyed = await t.platform.db.query<{ event_id: string }>(
      `SELECT event_id FROM function_executions WHERE function_name = 'replayer' AND event_id LIKE $1`,
      [`%.replay.${forced.body.id}`],
    )
    expect(keyed).toHaveLength(10)
    const listed = await api()
      .get('/admin/v1/functions/replayer/executions?trigger=replay&limit=5')
      .set(service(t))
    expect(listed.body.executions).toHaveLength(5)
  })

  it('counts failures; cancels a running replay', async () => {
    await deploy(t, 'picky', {
      code: `export default async (event) => { if (event.data.document.data.i % 10 === 0) throw new Error('no tens') }`,
      triggers: [TRIGGER],
    })
    const res = await api()
      .post('/admin/v1/functions/picky/replay')
      .set(service(t))
      .send({ fromSequence: first, toSequence: first + 99 })
    expect(await finished('picky', res.body.id)).toMatchObject({
      status: 'done',
      total: 100,
      processed: 100,
      failed: 10,
    })

    await deploy(t, 'slow', {
      code: 'export default async () => { await new Promise((resolve) => setTimeout(resolve, 50)) }',
      concurrency: 1,
      triggers: [TRIGGER],
    })
    const slow = await api()
      .post('/admin/v1/functions/slow/replay')
      .set(service(t))
      .send({ fromSequence: first })
    await eventually(
      async () => {
        const got = await api().get(`/admin/v1/functions/slow/replays/${slow.body.id}`).set(service(t))
        return got.body.processed > 0
      },
      30_000,
      'a first checkpoint',
    )
    const cancelled = await api().delete(`/admin/v1/functions/slow/replays/${slow.body.id}`).set(service(t))
    expect(cancelled.status).toBe(200)
    expect(cancelled.body).toMatchObject({ id: slow.body.id, status: 'cancelled' })
    const after = await finished('slow', slow.body.id)
    expect(after!.status).toBe('cancelled')
    // The execution in flight (concurrency 1) finishes; nothing new starts.
    const count = async () => (await replayExecutions('slow')).n
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300))
    const settled = await eventually(async () => {
      const before = await count()
      await pause()
      return before === (await count()) ? before : undefined
    })
    expect(settled).toBeLessThan(EVENTS)
    await pause()
    expect(await count()).toBe(settled)
    // Cancelling again answers the replay as it is.
    expect(
      (await api().delete(`/admin/v1/functions/slow/replays/${slow.body.id}`).set(service(t))).body.status,
    ).toBe('cancelled')
  })

  it('backfills a new function at deploy', async () => {
    const res = await api()
      .put('/admin/v1/functions/backfilled')
      .set(service(t))
      .send({ code: 'export default async () => {}', triggers: [TRIGGER], backfill: { fromSequence: first } })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toEqual({
      name: 'backfilled',
      version: 1,
      entry: 'default',
      replay: { id: expect.any(String), total: EVENTS },
    })
    expect(await finished('backfilled', res.body.replay.id)).toMatchObject({
      status: 'done',
      processed: EVENTS,
    })
    expect(await replayExecutions('backfilled')).toEqual({ n: EVENTS, events: EVENTS })
  })

  it('resumes a replay whose runner stopped renewing its claim, from its checkpoint', async () => {
    await deploy(t, 'resumed', { code: 'export default async () => {}', triggers: [TRIGGER] })
    // As a worker that died half-way would leave it: claimed until a moment ago, 500 events done.
    const id = newEventId()
    await t.platform.db.query(
      `INSERT INTO function_replays (id, function_name, version, from_sequence, to_sequence, status, total,
         cursor, processed, claimed_by, claimed_until)
       VALUES ($1, 'resumed', 1, $2, $3, 'running', $4, $5, 500, 'a-dead-node', now() - interval '1 second')`,
      [id, first, last, EVENTS, first + 499],
    )
    expect(await finished('resumed', id)).toMatchObject({ status: 'done', processed: EVENTS, skipped: 0 })
    expect(await replayExecutions('resumed')).toEqual({ n: 500, events: 500 })
  })

  it('answers bad requests with 4xx and a code', async () => {
    await deploy(t, 'http-only', { code: 'export default async () => {}', triggers: [{ type: 'http' }] })
    for (const [url, body, status, code] of [
      ['/admin/v1/functions/replayer/replay', {}, 400, 'request/invalid'],
      [
        '/admin/v1/functions/replayer/replay',
        { fromSequence: 1, fromTime: '2026-11-30T00:00:00Z' },
        400,
        'request/invalid',
      ],
      ['/admin/v1/functions/replayer/replay', { fromSequence: 5, toSequence: 4 }, 400, 'request/invalid'],
      [
        '/admin/v1/functions/replayer/replay',
        { fromSequence: 1, toSequence: 9, toTime: '2026-11-30T00:00:00Z' },
        400,
        'request/invalid',
      ],
      ['/admin/v1/functions/replayer/replay', { fromTime: 'last week' }, 400, 'request/invalid'],
      [
        '/admin/v1/functions/replayer/replay',
        { fromTime: '2026-11-30T00:00:00Z', toTime: '2026-11-29T00:00:00Z' },
        400,
        'request/invalid',
      ],
      ['/admin/v1/functions/replayer/replay', { fromSequence: 0 }, 400, 'request/invalid'],
      ['/admin/v1/functions/replayer/replay', { fromSequence: 1, speed: 'max' }, 400, 'request/invalid'],
      ['/admin/v1/functions/http-only/replay', { fromSequence: 1 }, 400, 'request/invalid'],
      ['/admin/v1/functions/nope/replay', { fromSequence: 1 }, 404, 'functions/not-found'],
    ] as const) {
      const res = await api().post(url).set(service(t)).send(body)
      expect([url, JSON.stringify(body), res.status, res.body.error?.code]).toEqual([
        url,
        JSON.stringify(body),
        status,
        code,
      ])
    }
    // Globs become Postgres patterns: `**` across segments, a `?` one character, on the database's side.
    await deploy(t, 'wide', {
      code: 'export default async () => {}',
      triggers: [
        { type: 'event', event: 'db.document.*', subject: 'collections/**' },
        { type: 'event', event: 'auth.user.created' },
      ],
    })
    const wide = await api()
      .post('/admin/v1/functions/wide/replay')
      .set(service(t))
      .send({ fromSequence: first, dryRun: true })
    expect(wide.body).toEqual({ total: EVENTS + 1 })
    await deploy(t, 'narrow', {
      code: 'export default async () => {}',
      triggers: [
        { type: 'event', event: 'db.document.created', subject: 'collections/replayed/documents/d?' },
      ],
    })
    const narrow = await api()
      .post('/admin/v1/functions/narrow/replay')
      .set(service(t))
      .send({ fromSequence: first, dryRun: true })
    expect(narrow.body).toEqual({ total: 10 })
    const future = await api()
      .post('/admin/v1/functions/replayer/replay')
      .set(service(t))
      .send({ fromTime: new Date(Date.now() + 3600_000).toISOString(), dryRun: true })
    expect(future.body).toEqual({ total: 0 })
    for (const [method, url] of [
      ['get', '/admin/v1/functions/replayer/replays/no-such-replay'],
      ['delete', '/admin/v1/functions/replayer/replays/no-such-replay'],
      ['get', '/admin/v1/functions/nope/replays/no-such-replay'],
    ] as const) {
      const res = await api()[method](url).set(service(t))
      expect([url, res.status, res.body.error.code]).toEqual([url, 404, 'functions/not-found'])
    }
    const badDeploy = await api()
      .put('/admin/v1/functions/no-events')
      .set(service(t))
      .send({
        code: 'export default async () => {}',
        triggers: [{ type: 'http' }],
        backfill: { fromSequence: 1 },
      })
    expect([badDeploy.status, badDeploy.body.error.code]).toEqual([400, 'request/invalid'])
    const bothStarts = await api()
      .put('/admin/v1/functions/no-events')
      .set(service(t))
      .send({ code: 'export default async () => {}', triggers: [TRIGGER], backfill: {} })
    expect([bothStarts.status, bothStarts.body.error.code]).toEqual([400, 'request/invalid'])
    expect((await api().get('/admin/v1/functions/no-events').set(service(t))).status).toBe(404)
  })
})
