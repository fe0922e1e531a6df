import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS_TEST_ENV, publish, service } from '../functions/helpers.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { allPublished, OBSERVABILITY_TEST_ENV } from './helpers.ts'

interface EventView {
  id: string
  type: string
  subject: string
  sequence: number
  traceparent?: string
  causationid?: string
  data: unknown
  executions: unknown[]
}

describe.each(LANES)('observability: events API (%s)', (lane) => {
  const t = usePlatform(lane, { ...FUNCTIONS_TEST_ENV, ...OBSERVABILITY_TEST_ENV })

  async function list(
    query: Record<string, string | number>,
  ): Promise<{ events: EventView[]; nextCursor: string | null }> {
    const res = await request(t.url).get('/admin/v1/events').query(query).set(service(t))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body
  }

  /** Every page of `query`, following nextCursor. */
  async function all(
    query: Record<string, string | number>,
  ): Promise<{ events: EventView[]; pages: number }> {
    const events: EventView[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: { events: EventView[]; nextCursor: string | null } = await list({
        ...query,
        ...(cursor ? { cursor } : {}),
      })
      events.push(...page.events)
      cursor = page.nextCursor
      pages++
    } while (cursor && pages < 100)
    return { events, pages }
  }

  async function write(collection: string, id: string): Promise<void> {
    const res = await request(t.url)
      .post(`/db/v1/collections/${collection}/documents`)
      .set(service(t))
      .send({ id, data: { id } })
    expect(res.status).toBe(201)
  }

  it('pages the retained events by sequence, filtered by type and subject globs, either way', async () => {
    for (let i = 1; i <= 5; i++) await write('ev-a', `a${i}`)
    await write('ev-b', 'b1')
    const patched = await request(t.url)
      .patch('/db/v1/collections/ev-a/documents/a1')
      .set(service(t))
      .send({ data: { n: 1 } })
    expect(patched.status).toBe(200)
    const message = await publish(t, 'ev-q', { payload: { hello: 'world' } })
    await allPublished(t)

    // Ascending, two at a time: every created ev-a document, in order, once.
    const created = await all({
      type: 'db.document.created',
      subject: 'collections/ev-a/documents/*',
      limit: 2,
    })
    expect(created.pages).toBe(3)
    expect(created.events.map((e) => e.subject)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `collections/ev-a/documents/a${i}`),
    )
    const sequences = created.events.map((e) => e.sequence)
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences)
    for (const e of created.events) {
      expect(e).toMatchObject({
        specversion: '1.0',
        source: '/stratus',
        type: 'db.document.created',
        executions: [],
      })
      expect(e.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(e.causationid).toMatch(/^[0-9a-f]{16}$/)
      expect((e.data as { document: { id: string } }).document.id).toBe(e.subject.split('/').pop())
    }

    // Type globs: `*` within a segment, `**` across.
    const anyDocument = await all({ type: 'db.document.*', subject: 'collections/ev-a/**' })
    expect(anyDocument.events.map((e) => e.type)).toEqual([
      ...Array(5).fill('db.document.created'),
      'db.document.updated',
    ])
    expect((await all({ type: 'db.**', subject: 'collections/ev-*/documents/*' })).events).toHaveLength(7)
    expect((await all({ subject: 'collections/ev-?/documents/b1' })).events.map((e) => e.subject)).toEqual([
      'collections/ev-b/documents/b1',
    ])
    const queued = await list({ type: 'queue.message.published', subject: 'queues/ev-q' })
    expect(queued.events.map((e) => [e.id, e.data])).toEqual([
      [message.id, { id: message.id, payload: { hello: 'world' } }],
    ])
    // A type no event can have, or a subject nothing matches: an empty page.
    expect(await list({ type: 'no.such.*' })).toEqual({ events: [], nextCursor: null })
    expect(await list({ subject: 'collections/ev-a/documents/zzz' })).toEqual({
      events: [],
      nextCursor: null,
    })

    // fromSequence is inclusive; in descending order it is where the listing starts going down.
    const third = sequences[2]!
    const from = await all({
      subject: 'collections/ev-a/documents/*',
      fromSequence: third,
      type: 'db.document.created',
    })
    expect(from.events.map((e) => e.sequence)).toEqual(sequences.slice(2))
    const down = await all({
      subject: 'collections/ev-a/documents/*',
      type: 'db.document.created',
      fromSequence: third,
      order: 'desc',
      limit: 1,
    })
    expect(down.events.map((e) => e.sequence)).toEqual(sequences.slice(0, 3).reverse())
    expect(down.pages).toBe(3)

    // Newest first: the live tail.
    const newest = await list({ order: 'desc', limit: 1 })
    expect(newest.events[0]!.id).toBe(message.id)
    expect(newest.nextCursor).toBe(String(newest.events[0]!.sequence))
    const everything = await all({ order: 'asc', limit: 1000 })
    expect(everything.events[everything.events.length - 1]!.id).toBe(message.id)
  })

  it('refuses bad parameters with 400 request/invalid', async () => {
    for (const query of [
      { limit: '0' },
      { limit: '1001' },
      { limit: 'ten' },
      { limit: '2.5' },
      { fromSequence: '-1' },
      { fromSequence: '1.5' },
      { fromSequence: 'x' },
      { fromSequence: '1e400' },
      { cursor: 'abc' },
      { cursor: '-1' },
      { order: 'sideways' },
      { type: '' },
      { subject: '' },
      { type: 'x'.repeat(201) },
      { subject: 's'.repeat(1025) },
      { unknown: '1' },
    ]) {
      const res = await request(t.url).get('/admin/v1/events').query(query).set(service(t))
      expect(res.status, JSON.stringify(query)).toBe(400)
      expect(res.body.error.code, JSON.stringify(query)).toBe('request/invalid')
    }
  })
})
