import { afterEach, describe, expect, it } from 'vitest'
import { uuidv7Floor } from '../../functions-runtime/store.ts'
import { newEventId } from '../../services/core/ids.ts'
import type { Database } from '../../services/db/database.ts'
import type { Execution } from '../../services/functions/model.ts'
import { ObservabilityStore } from '../../services/observability/store.ts'
import { addToOutbox, PUBLISHED_THROUGH } from '../../services/outbox/outbox.ts'
import { oldestSequence, pruneOutbox } from '../../services/outbox/outbox-retention.ts'
import { SETTLED_KEY } from '../../services/outbox/relay.ts'
import { RealtimeClient } from '../realtime/client.ts'
import { api, put, setRules } from '../realtime/helpers.ts'
import { createTestDatabase, DB_LANES, type TestDatabase } from '../support/databases.ts'
import { anyEvent } from '../support/events.ts'
import { eventually, LANES } from '../support/lanes.ts'
import { usePlatform } from '../support/platform.ts'

describe.each(DB_LANES)('outbox retention (%s)', (lane) => {
  let test: TestDatabase
  let db: Database

  afterEach(async () => {
    await db?.close()
    await test?.cleanup()
  })

  /** Ten events; 1-9 sequenced, 1-7 published (1-6 long ago), 8-9 sequenced but unpublished, 10 neither. */
  async function seed(): Promise<void> {
    test = await createTestDatabase(lane)
    db = await test.open()
    for (let i = 1; i <= 10; i++) {
      await db.tx((tx) =>
        addToOutbox(tx, anyEvent({ type: 'test.event', subject: `things/${i}`, data: { i } })),
      )
    }
    await db.query(`UPDATE outbox SET sequence = id WHERE id <= 9`)
    await db.query(`UPDATE outbox SET created_at = now() - interval '10 days' WHERE id <= 6`)
    await db.query(`INSERT INTO outbox_publications (through_sequence, published_at)
      VALUES (6, now() - interval '10 days'), (7, now())`)
  }

  it('deletes only published events older than the retention, oldest first', async () => {
    await seed()
    expect(await pruneOutbox(db, { retentionHours: 24, keepUnsettled: false })).toBe(6)
    const left = await db.query<{ id: number }>('SELECT id FROM outbox ORDER BY id')
    expect(left.map((r) => Number(r.id))).toEqual([7, 8, 9, 10])
    expect(await oldestSequence(db)).toBe(7)
    // The record of batch 1-6 went with its events; the watermark (7) stays.
    const records = await db.query<{ s: number }>(
      'SELECT through_sequence AS s FROM outbox_publications ORDER BY 1',
    )
    expect(records.map((r) => Number(r.s))).toEqual([7])
    expect(await pruneOutbox(db, { retentionHours: 24, keepUnsettled: false })).toBe(0)
  })

  it('keeps events above the settled watermark of an in-memory bus, whatever their age', async () => {
    await seed()
    await db.query(`INSERT INTO project_settings (key, value) VALUES ($1, to_jsonb(4::bigint))`, [
      SETTLED_KEY,
    ])
    expect(await pruneOutbox(db, { retentionHours: 24, keepUnsettled: true })).toBe(4)
    expect(await oldestSequence(db)).toBe(5)
  })
})

describe.each(LANES)('housekeeping on a running platform (%s)', (lane) => {
  const t = usePlatform(lane, { RATE_LIMIT_RECOVER: '1000' })

  it('prunes old events, and refuses a realtime resume from before them', async () => {
    const db = t.platform.db
    const collection = `hk${Date.now().toString(36)}`
    await setRules(t, collection, { read: 'true' })
    for (let i = 0; i < 6; i++) await put(t, collection, `d${i}`, { i })
    const rows = await eventually(async () => {
      const published = await db.query<{ sequence: number }>(
        `SELECT sequence FROM outbox WHERE subject LIKE $1 AND sequence <= ${PUBLISHED_THROUGH} ORDER BY sequence`,
        [`collections/${collection}/%`],
      )
      return published.length === 6 ? published : undefined
    })
    const sequences = rows!.map((r) => Number(r.sequence))
    // Everything up to the 4th of these writes was published long ago (and, embedded, is settled).
    await db.query(`UPDATE outbox SET created_at = now() - interval '400 days' WHERE sequence <= $1`, [
      sequences[3],
    ])
    if (lane === 'embedded') {
      await eventually(async () => {
        const [row] = await db.query<{ value: unknown }>(
          'SELECT value FROM project_settings WHERE key = $1',
          [SETTLED_KEY],
        )
        return Number(row?.value ?? 0) >= sequences[5]!
      })
    }
    await t.platform.housekeeping!.runOnce()
    expect(await oldestSequence(db)).toBe(sequences[3]! + 1)

    const client = await RealtimeClient.connect(t.url)
    const refused = await client.subscribe({ id: 'old', collection, since: sequences[0] })
    expect(refused).toMatchObject({ type: 'error', id: 'old', error: { code: 'realtime/replay-too-large' } })
    const resumed = await client.subscribe({ id: 'ok', collection, since: sequences[3] })
    expect(resumed.type).toBe('subscribed')
    const replayed = await client.waitChanges('ok', 2)
    expect(replayed.map((f) => f.document.id)).toEqual(['d4', 'd5'])
    client.close()
  })

  it('deletes function executions and handed-over queue messages past FUNCTIONS_EXECUTION_RETENTION_HOURS', async () => {
    const db = t.platform.db
    const hours = t.platform.config.functions.executionRetentionHours
    const name = `hk${Date.now().toString(36)}`
    const execution = (id: string): Execution => ({
      id,
      function: name,
      version: 1,
      trigger: 'http',
      eventId: id,
      status: 'succeeded',
      attempt: 1,
      startedAt: new Date().toISOString(),
      durationMs: 1,
      coldStart: false,
      logs: [],
      error: null,
    })
    // Execution ids are UUIDv7: their time is what retention goes by.
    const old = uuidv7Floor(Date.now() - (hours + 1) * 3600_000)
    const recent = newEventId()
    await t.platform.functions.store.insertExecutions([execution(old), execution(recent)])
    await db.query('INSERT INTO queues (name) VALUES ($1)', [name])
    const message = async (id: string, dispatchedHoursAgo: number | null) =>
      db.query(
        `INSERT INTO queue_messages (id, queue, payload, created_at, available_at, dispatched_at)
         VALUES ($1, $2, '{}', now() - interval '1000 hours', now() - interval '1000 hours',
                 CASE WHEN $3::int IS NULL THEN NULL ELSE now() - make_interval(hours => $3::int) END)`,
        [`${name}-${id}`, name, dispatchedHoursAgo],
      )
    await message('old', hours + 1)
    await message('recent', 0)
    // Never handed over (its queue has no consumer yet): kept whatever its age.
    await message('waiting', null)
    await db.query(
      `INSERT INTO queue_dedup (queue, dedup_id, message_id, expires_at)
       VALUES ($1, 'spent', 'm1', now() - interval '1 minute'), ($1, 'live', 'm2', now() + interval '1 hour')`,
      [name],
    )

    await t.platform.housekeeping!.runOnce()
    const ids = async (sql: string) => (await db.query<{ id: string }>(sql, [name])).map((r) => r.id).sort()
    expect(await ids('SELECT id FROM function_executions WHERE function_name = $1')).toEqual([recent])
    expect(await ids('SELECT id FROM queue_messages WHERE queue = $1')).toEqual([
      `${name}-recent`,
      `${name}-waiting`,
    ])
    expect(await ids('SELECT dedup_id AS id FROM queue_dedup WHERE queue = $1')).toEqual(['live'])
  })

  it('purges spent and expired auth tokens and revoked sessions, and live sessions keep working', async () => {
    const db = t.platform.db
    const email = (n: string) => `${n}${Date.now().toString(36)}@example.com`
    const live = await api(t, 'POST', '/auth/v1/signup', {
      email: email('live'),
      password: 'correct horse battery',
    })
    const first = live.body.session.refresh_token as string
    const refreshed = await api(t, 'POST', '/auth/v1/token?grant_type=refresh_token', {
      refresh_token: first,
    })
    expect(refreshed.status).toBe(200)
    const gone = await api(t, 'POST', '/auth/v1/signup', {
      email: email('gone'),
      password: 'correct horse battery',
    })
    expect((await api(t, 'POST', '/auth/v1/logout', undefined, gone.body.session.access_token)).status).toBe(
      204,
    )
    expect((await api(t, 'POST', '/auth/v1/recover', { email: live.body.user.email })).status).toBe(204)
    await eventually(async () => (await db.query('SELECT 1 FROM auth_one_time_tokens')).length > 0)

    // Age what is no longer usable past the purge's grace period.
    await db.query(
      `UPDATE auth_refresh_tokens SET expires_at = now() - interval '2 days' WHERE used_at IS NOT NULL`,
    )
    await db.query(
      `UPDATE auth_sessions SET revoked_at = now() - interval '2 days' WHERE revoked_at IS NOT NULL`,
    )
    await db.query(`UPDATE auth_one_time_tokens SET expires_at = now() - interval '2 days'`)
    // The logout's revocation, once the tokens it refuses have expired; a stale sign-in failure window
    // beside a live one.
    expect((await db.query('SELECT 1 FROM auth_revocations')).length).toBeGreaterThan(0)
    await db.query(`UPDATE auth_revocations SET expires_at = now() - interval '1 minute'`)
    await db.query(
      `INSERT INTO auth_signin_failures (account_hash, window_start, failures)
       VALUES ('stale', now() - interval '2 days', 3), ('live', now(), 1)`,
    )
    const count = async (sql: string) => Number((await db.query<{ n: number }>(sql))[0]!.n)
    expect(
      await count('SELECT count(*)::int AS n FROM auth_refresh_tokens WHERE used_at IS NOT NULL'),
    ).toBeGreaterThan(0)

    await t.platform.housekeeping!.runOnce()
    expect(await count('SELECT count(*)::int AS n FROM auth_refresh_tokens WHERE used_at IS NOT NULL')).toBe(
      0,
    )
    expect(await count('SELECT count(*)::int AS n FROM auth_sessions WHERE revoked_at IS NOT NULL')).toBe(0)
    expect(await count('SELECT count(*)::int AS n FROM auth_one_time_tokens')).toBe(0)
    expect(await count('SELECT count(*)::int AS n FROM auth_revocations')).toBe(0)
    expect(
      (await db.query<{ account_hash: string }>('SELECT account_hash FROM auth_signin_failures')).map(
        (row) => row.account_hash,
      ),
    ).toEqual(['live'])

    const again = await api(t, 'POST', '/auth/v1/token?grant_type=refresh_token', {
      refresh_token: refreshed.body.session.refresh_token,
    })
    expect(again.status, JSON.stringify(again.body)).toBe(200)
    const revoked = await api(t, 'POST', '/auth/v1/token?grant_type=refresh_token', {
      refresh_token: gone.body.session.refresh_token,
    })
    expect(revoked.status).toBe(401)
  })
})

describe.each(DB_LANES)('per-minute rollup retention (%s)', (lane) => {
  let test: TestDatabase
  let db: Database

  afterEach(async () => {
    await db?.close()
    await test?.cleanup()
  })

  it('deletes minutes older than METRICS_RETENTION_DAYS and nodes unseen for a day', async () => {
    test = await createTestDatabase(lane)
    db = await test.open()
    const store = new ObservabilityStore(db)
    await db.query(
      `INSERT INTO metrics_minutes (minute, metric, labels, node_id, value) VALUES
         (date_trunc('minute', now()) - interval '8 days', 'requests', '{}', 'n1', 1),
         (date_trunc('minute', now()) - interval '6 days', 'requests', '{}', 'n1', 2),
         (date_trunc('minute', now()), 'requests', '{}', 'n2', 3)`,
    )
    await db.query(
      `INSERT INTO nodes (id, role, version, started_at, last_seen_at, heartbeat_ms) VALUES
         ('gone', 'all', '0', now() - interval '3 days', now() - interval '2 days', 15000),
         ('here', 'all', '0', now(), now(), 15000)`,
    )
    expect(await store.prune(7)).toEqual({ metricsMinutes: 1, nodes: 1 })
    const left = await db.query<{ value: number }>('SELECT value FROM metrics_minutes ORDER BY value')
    expect(left.map((r) => Number(r.value))).toEqual([2, 3])
    expect((await db.query<{ id: string }>('SELECT id FROM nodes')).map((r) => r.id)).toEqual(['here'])
  })
})
