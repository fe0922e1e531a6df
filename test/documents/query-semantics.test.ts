import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../services/db/database.ts'
import { compareDocuments, matchesWhere } from '../../services/documents/query/matcher.ts'
import { parseOrderBy, parseWhere, resolveOrder, WHERE_OPS } from '../../services/documents/query/query.ts'
import { sortKey } from '../../services/documents/query/sort-key.ts'
import { compileList } from '../../services/documents/query/sql.ts'
import { createTestDatabase, DB_LANES, type TestDatabase } from '../support/databases.ts'

// The SQL compiler and the in-memory matcher/comparator must agree on every op, type and order: the
// same corpus goes through both, on each database driver.

/** A small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const SCALARS: unknown[] = [
  null,
  false,
  true,
  0,
  1,
  -1,
  1.5,
  -1.5,
  0.1,
  1e21,
  -1e-7,
  5e-324,
  2 ** 53,
  123456.789,
  '',
  'a',
  'A',
  'ab',
  'b',
  'é',
  '😀',
  '\uE000',
  'x\u0001y',
  "it's",
]
const CONTAINERS: unknown[] = [[], [1], [1, 2], ['a', null], [[1]], {}, { a: 1 }, { a: 1, b: [2] }, { b: 0 }]
const VALUES = [...SCALARS, ...CONTAINERS]

function randomValue(next: () => number, depth = 0): unknown {
  const r = next()
  if (depth > 2 || r < 0.6) return SCALARS[Math.floor(next() * SCALARS.length)]
  if (r < 0.8) return Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1))
  const out: Record<string, unknown> = {}
  for (const key of ['a', 'b', 'c']) if (next() < 0.5) out[key] = randomValue(next, depth + 1)
  return out
}

interface CorpusDoc {
  id: string
  data: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

function corpus(): CorpusDoc[] {
  const next = prng(42)
  const docs: CorpusDoc[] = []
  VALUES.forEach((value, i) => {
    docs.push({
      id: `v${String(i).padStart(3, '0')}`,
      data: {
        v: value,
        arr: [VALUES[(i * 7) % VALUES.length], VALUES[(i + 3) % VALUES.length]],
        o: { x: value },
      },
      createdAt: '',
      updatedAt: '',
    })
  })
  for (let i = 0; i < 120; i++) {
    const data: Record<string, unknown> = {}
    if (next() < 0.85) data.v = randomValue(next)
    if (next() < 0.7) data.arr = Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, 1))
    if (next() < 0.5) data.o = { x: randomValue(next) }
    // Ids whose C order differs from a linguistic one ('-' and '_' around letters and digits).
    docs.push({ id: `${'-_aB9'[i % 5]}r${i}`, data, createdAt: '', updatedAt: '' })
  }
  return docs
}

describe.each(DB_LANES)('query semantics: SQL vs in-memory (%s)', (lane) => {
  let database: TestDatabase
  let db: Database
  const docs = corpus()

  beforeAll(async () => {
    database = await createTestDatabase(lane)
    db = await database.open()
    for (const doc of docs) {
      // Distinct creation times, so the default order is fully determined by the data.
      const [row] = await db.query<{ created_at: Date }>(
        `INSERT INTO documents (collection, id, data, version, created_at, updated_at)
         VALUES ('c', $1, $2::jsonb, 1, now() + ($3 || ' ms')::interval, now()) RETURNING created_at`,
        [doc.id, JSON.stringify(doc.data), String(docs.indexOf(doc))],
      )
      doc.createdAt = row!.created_at.toISOString()
    }
  })
  afterAll(async () => {
    await db?.close()
    await database?.cleanup()
  })

  async function run(where: unknown[], orderBy: unknown[] = [], limit = 1000, after?: string[]) {
    const query = compileList({
      collection: 'c',
      where: parseWhere(where),
      order: resolveOrder(parseOrderBy(orderBy)),
      after,
      limit,
    })
    return db.query<{ id: string } & Record<string, unknown>>(query.text, query.params)
  }

  it('computes the same sort keys in SQL as in memory', async () => {
    const next = prng(7)
    const values = [...VALUES, ...Array.from({ length: 300 }, () => randomValue(next))]
    const numbers = Array.from({ length: 300 }, () => (next() - 0.5) * 10 ** Math.floor(next() * 60 - 30))
    const all = [...values, ...numbers]
    const rows = await db.query<{ k: string }>(
      'SELECT stratus_sort_key(e.v) AS k FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, i) ORDER BY e.i',
      [JSON.stringify(all)],
    )
    expect(rows.map((r) => r.k)).toEqual(all.map((v) => sortKey(v)))
    const [missing] = await db.query<{ k: string }>(`SELECT stratus_sort_key('{}'::jsonb -> 'nope') AS k`)
    expect(missing!.k).toBe(sortKey(undefined))
  })

  const clauses: unknown[][] = []
  for (const op of WHERE_OPS) {
    for (const [i, value] of VALUES.entries()) {
      const operand = ['in', 'not-in', 'array-contains-any'].includes(op)
        ? [value, VALUES[(i + 5) % VALUES.length]]
        : value
      clauses.push(['v', op, operand])
      if (i % 4 === 0) clauses.push(['arr', op, operand], ['o.x', op, operand])
    }
  }

  it(`filters alike for ${clauses.length} clauses over every op`, async () => {
    const mismatches: string[] = []
    for (const clause of clauses) {
      const sql = (await run([clause])).map((r) => r.id).sort()
      const memory = docs
        .filter((d) => matchesWhere(d.data, parseWhere([clause])))
        .map((d) => d.id)
        .sort()
      if (JSON.stringify(sql) !== JSON.stringify(memory)) {
        mismatches.push(`${JSON.stringify(clause)}: sql ${sql.length} vs memory ${memory.length}`)
      }
    }
    expect(mismatches).toEqual([])
  })

  const orders: unknown[][] = [
    [],
    [['v', 'asc']],
    [['v', 'desc']],
    [['arr', 'asc']],
    [
      ['o.x', 'desc'],
      ['v', 'asc'],
    ],
    [['$id', 'desc']],
    [['$createdAt', 'desc']],
    [
      ['v', 'desc'],
      ['$id', 'desc'],
    ],
  ]

  it.each(orders)('orders alike by %j, and pages through it with keyset cursors', async (...orderBy) => {
    const order = resolveOrder(parseOrderBy(orderBy))
    const expected = [...docs].sort(compareDocuments(order)).map((d) => d.id)
    expect((await run([], orderBy)).map((r) => r.id)).toEqual(expected)

    const paged: string[] = []
    let after: string[] | undefined
    for (;;) {
      const rows = await run([], orderBy, 7, after)
      paged.push(...rows.map((r) => r.id))
      if (rows.length < 7) break
      const last = rows[rows.length - 1]!
      after = order.map((_, i) => {
        const v = last[`k${i}`]
        return v instanceof Date ? v.toISOString() : String(v)
      })
    }
    expect(paged).toEqual(expected)
  })
})
