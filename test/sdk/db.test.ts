import { describe, expect, it } from 'vitest'
import { LANES, usePlatform } from '../support/platform.ts'
import { admin, client, failure, openCollection, SDK_TEST_ENV, serviceClient, unique } from './helpers.ts'

interface Post {
  title: string
  n: number
  tags?: string[]
}

describe.each(LANES)('SDK documents (%s)', (lane) => {
  const t = usePlatform(lane, SDK_TEST_ENV)

  it('adds, reads, sets, updates and deletes a document', async () => {
    const app = client(t)
    const posts = app.db.collection<Post>(await openCollection(t))

    const added = await posts.add({ title: 'first', n: 1 })
    expect(added.version).toBe(1)
    expect(added.collection).toBe(posts.collection)
    expect((await posts.doc(added.id).get())?.data).toEqual({ title: 'first', n: 1 })

    const chosen = await posts.add({ title: 'chosen', n: 2 }, { id: 'my-id' })
    expect(chosen.id).toBe('my-id')
    expect((await failure(posts.add({ title: 'again', n: 2 }, { id: 'my-id' }))).code).toBe(
      'db/already-exists',
    )

    const ref = posts.doc('p1')
    expect(await ref.get()).toBeNull()
    expect((await ref.set({ title: 'set', n: 3 })).version).toBe(1)
    const merged = await ref.update({ n: 4 })
    expect([merged.version, merged.data]).toEqual([2, { title: 'set', n: 4 }])
    expect((await ref.update({ n: 5 }, { ifVersion: 2 })).version).toBe(3)
    const stale = await failure(ref.update({ n: 6 }, { ifVersion: 2 }))
    expect([stale.code, stale.status]).toEqual(['db/version-mismatch', 412])
    expect((await failure(ref.delete({ ifVersion: 1 }))).code).toBe('db/version-mismatch')
    await ref.delete({ ifVersion: 3 })
    expect(await ref.get()).toBeNull()
    expect((await failure(posts.doc('missing').update({ n: 1 }))).code).toBe('db/not-found')
  })

  it('queries with where, orderBy, limit and startAfter', async () => {
    const app = client(t)
    const posts = app.db.collection<Post>(await openCollection(t))
    for (let n = 0; n < 7; n++) await posts.add({ title: `t${n}`, n, tags: n % 2 ? ['odd'] : ['even'] })

    const first = await posts.where('n', '>=', 2).orderBy('n', 'desc').limit(3).get()
    expect(first.docs.map((d) => d.data.n)).toEqual([6, 5, 4])
    expect(first.nextCursor).toEqual(expect.any(String))
    const second = await posts
      .where('n', '>=', 2)
      .orderBy('n', 'desc')
      .limit(3)
      .startAfter(first.nextCursor)
      .get()
    expect(second.docs.map((d) => d.data.n)).toEqual([3, 2])
    expect(second.nextCursor).toBeNull()

    const odd = await posts.where('tags', 'array-contains', 'odd').get()
    expect(odd.docs.map((d) => d.data.n)).toEqual([1, 3, 5])
    const some = await posts.where('n', 'in', [0, 6]).orderBy('n').get()
    expect(some.docs.map((d) => d.data.n)).toEqual([0, 6])

    const bad = await failure(posts.where('n', 'like' as never, 1).get())
    expect([bad.code, bad.status]).toEqual(['db/invalid-query', 400])
    expect((await failure(posts.limit(5000).get())).code).toBe('db/invalid-query')
  })

  it('commits a batch all together, or nothing of it', async () => {
    const app = client(t)
    const name = await openCollection(t)
    const posts = app.db.collection<Post>(name)
    await posts.doc('keep').set({ title: 'keep', n: 1 })
    await posts.doc('gone').set({ title: 'gone', n: 1 })

    const results = await app.db
      .batch()
      .create(posts.doc('new'), { title: 'new', n: 1 })
      .set(posts.doc('replaced'), { title: 'replaced', n: 2 })
      .update(posts.doc('keep'), { n: 2 }, { ifVersion: 1 })
      .delete(posts.doc('gone'))
      .commit()
    expect(results.map((r) => r?.id ?? null)).toEqual(['new', 'replaced', 'keep', null])
    expect((await posts.doc('keep').get())?.version).toBe(2)
    expect(await posts.doc('gone').get()).toBeNull()

    const failed = await failure(
      app.db
        .batch()
        .create(posts.doc('never'), { title: 'never', n: 0 })
        .update(posts.doc('keep'), { n: 3 }, { ifVersion: 1 })
        .commit(),
    )
    expect(failed.code).toBe('db/version-mismatch')
    expect(await posts.doc('never').get()).toBeNull()
    expect((await posts.doc('keep').get())?.version).toBe(2)

    const batch = app.db.batch().delete(posts.doc('keep'))
    await batch.commit()
    await expect(batch.commit()).rejects.toThrow(TypeError)
  })

  it('applies collection rules to signed-in users, and the service key bypasses them', async () => {
    const name = unique('own')
    await admin(t, 'PUT', `/admin/v1/collections/${name}`, {
      rules: {
        read: 'auth != null',
        create: 'auth != null && request.data.owner == auth.uid',
        update: 'false',
        delete: 'false',
      },
      schema: { type: 'object', required: ['owner'], properties: { owner: { type: 'string' } } },
    })
    const anon = client(t)
    const denied = await failure(anon.db.collection(name).add({ owner: 'x' }))
    expect([denied.code, denied.status]).toEqual(['auth/forbidden', 403])

    const app = client(t)
    const { user } = await app.auth.signUp({
      email: `${unique('r')}@example.com`,
      password: 'correct horse battery',
    })
    expect((await app.db.collection(name).add({ owner: user.id })).data).toEqual({ owner: user.id })
    expect((await failure(app.db.collection(name).add({ owner: 'someone-else' }))).code).toBe(
      'auth/forbidden',
    )
    const invalid = await failure(serviceClient(t).db.collection(name).add({ title: 'no owner' }))
    expect([invalid.code, invalid.status]).toEqual(['db/validation-failed', 422])
    expect((await serviceClient(t).db.collection(name).get()).docs).toHaveLength(1)
    app.close()
  })
})
