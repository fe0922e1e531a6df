import request from 'supertest'
import { expect } from 'vitest'
import { bearer, NO_RATE_LIMITS, signUp } from '../auth/helpers.ts'
import { uniqueName } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'

export { bearer, NO_RATE_LIMITS }

/** A fresh collection name. */
export function newCollection(prefix = 'c'): string {
  return uniqueName(prefix).replaceAll('.', '_').slice(0, 60)
}

/** A caller: a bearer header (none for anon) and its uid. */
export interface Caller {
  name: string
  uid: string | null
  headers: Record<string, string>
}

export const anon: Caller = { name: 'anon', uid: null, headers: {} }

/** Signs up a user and returns it as a caller. */
export async function user(t: TestPlatform, name = 'user'): Promise<Caller> {
  const u = await signUp(t)
  return { name, uid: u.uid, headers: bearer(u.access) }
}

/** The service key as a caller. */
export function service(t: TestPlatform): Caller {
  return { name: 'service', uid: 'service', headers: bearer(t.serviceKey) }
}

/** Sets a collection's configuration (expects 200). */
export async function putCollection(t: TestPlatform, name: string, body: object): Promise<request.Response> {
  const res = await request(t.url).put(`/admin/v1/collections/${name}`).set(bearer(t.serviceKey)).send(body)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res
}

/** The /db/v1 API as one caller. */
export function db(t: TestPlatform, caller: Caller) {
  const api = request(t.url)
  const docs = (col: string) => `/db/v1/collections/${col}/documents`
  return {
    create: (col: string, body: object) => api.post(docs(col)).set(caller.headers).send(body),
    get: (col: string, id: string) => api.get(`${docs(col)}/${id}`).set(caller.headers),
    put: (col: string, id: string, data: object, ifMatch?: string) => {
      const r = api.put(`${docs(col)}/${id}`).set(caller.headers)
      return (ifMatch ? r.set('if-match', ifMatch) : r).send({ data })
    },
    patch: (col: string, id: string, data: object, ifMatch?: string) => {
      const r = api.patch(`${docs(col)}/${id}`).set(caller.headers)
      return (ifMatch ? r.set('if-match', ifMatch) : r).send({ data })
    },
    delete: (col: string, id: string, ifMatch?: string) => {
      const r = api.delete(`${docs(col)}/${id}`).set(caller.headers)
      return ifMatch ? r.set('if-match', ifMatch) : r
    },
    list: (
      col: string,
      query: { where?: unknown; orderBy?: unknown; limit?: number | string; cursor?: string } = {},
    ) =>
      api
        .get(docs(col))
        .set(caller.headers)
        .query({
          ...(query.where === undefined ? {} : { where: JSON.stringify(query.where) }),
          ...(query.orderBy === undefined ? {} : { orderBy: JSON.stringify(query.orderBy) }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
    batch: (writes: object[]) => api.post('/db/v1/batch').set(caller.headers).send({ writes }),
  }
}

/** The events written for one document so far, in order: `[type, data]`. */
export async function documentEvents(
  t: TestPlatform,
  col: string,
  id: string,
): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return t.platform.db.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id',
    [`collections/${col}/documents/${id}`],
  )
}

/** How many events were written for a collection's documents. */
export async function collectionEventCount(t: TestPlatform, col: string): Promise<number> {
  const [row] = await t.platform.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM outbox WHERE subject LIKE $1',
    [`collections/${col}/documents/%`],
  )
  return row!.n
}
