import { createClient } from '@stratus/sdk'
import { describe, expect, it } from 'vitest'
import { FUNCTIONS_TEST_ENV } from '../functions/helpers.ts'
import { usePlatform } from '../support/platform.ts'
import { admin, client, SDK_TEST_ENV, unique } from './helpers.ts'

/**
 * Functions' `ctx.db`, `ctx.storage` and `ctx.queue` are the SDK's surface with the service role
 * (issue 8). The sandbox has its own small implementation (an isolate has no fetch, URL or streams
 * to run the SDK on), so this holds the two to the same method names, and runs a batch through ctx.
 */

/** What a function cannot use: listeners outlive an invocation; streams and URLs need a host realm. */
const NOT_IN_FUNCTIONS = new Set(['onSnapshot', 'stream', 'getPublicUrl'])

/** The functions an object offers, own and inherited. Also sent, as source, into the function. */
function methodNames(o: object): string[] {
  const out = new Set<string>()
  for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k !== 'constructor' && typeof (o as Record<string, unknown>)[k] === 'function') out.add(k)
    }
  }
  return [...out].sort()
}

function surface(
  names: (o: object) => string[],
  ctx: {
    db: {
      collection(n: string): { where(...a: unknown[]): object; doc(id: string): object }
      batch(): object
    }
    storage: { from(b: string): object }
    queue: object
  },
) {
  const collection = ctx.db.collection('x')
  return {
    db: names(ctx.db),
    collection: names(collection),
    query: names(collection.where('a', '==', 1)),
    doc: names(collection.doc('d')),
    batch: names(ctx.db.batch()),
    storage: names(ctx.storage),
    bucket: names(ctx.storage.from('b')),
    queue: names(ctx.queue),
  }
}

describe('functions ctx clients have the SDK surface (embedded)', () => {
  const t = usePlatform('embedded', { ...SDK_TEST_ENV, ...FUNCTIONS_TEST_ENV })

  it('offers every SDK method a function can use', async () => {
    const name = unique('surface')
    await admin(t, 'PUT', `/admin/v1/functions/${name}`, {
      code: `const surface = ${surface.toString()}
        export default async (event, ctx) => surface(${methodNames.toString()}, ctx)`,
      triggers: [{ type: 'http', public: true }],
    })
    const inFunctions = await client(t).functions.invoke<Record<string, string[]>>(name)
    const sdk = createClient(t.url, { persistSession: false })
    const inSdk = surface(methodNames, sdk as never)
    for (const [object, methods] of Object.entries(inSdk)) {
      const expected = methods.filter((m) => !NOT_IN_FUNCTIONS.has(m))
      expect(inFunctions[object], `ctx ${object}`).toEqual(expect.arrayContaining(expected))
    }
  })

  it('commits a batch from a function with the service role', async () => {
    const collection = unique('locked')
    await admin(t, 'PUT', `/admin/v1/collections/${collection}`, { rules: { read: 'true' } })
    const name = unique('batcher')
    await admin(t, 'PUT', `/admin/v1/functions/${name}`, {
      code: `export default async (event, ctx) => {
        const col = ctx.db.collection(${JSON.stringify(collection)})
        await col.add({ n: 0 }, { id: 'seed' })
        const results = await ctx.db.batch()
          .create(col.doc('a'), { n: 1 })
          .update(col.doc('seed'), { n: 2 }, { ifVersion: 1 })
          .commit()
        let failed = null
        try { await ctx.db.batch().update(col.doc('seed'), { n: 3 }, { ifVersion: 1 }).commit() } catch (e) { failed = e.code }
        return { results: results.map((r) => r.id + '@' + r.version), failed }
      }`,
      triggers: [{ type: 'http', public: true }],
    })
    expect(await client(t).functions.invoke(name)).toEqual({
      results: ['a@1', 'seed@2'],
      failed: 'db/version-mismatch',
    })
    const docs = (await client(t).db.collection(collection).get()).docs
    expect(docs.map((d) => `${d.id}:${(d.data as { n: number }).n}`).sort()).toEqual(['a:1', 'seed:2'])
  })
})
