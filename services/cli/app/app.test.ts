import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppCliError } from './errors.ts'
import { renderPlan } from './plan-view.ts'
import { loadProject, resolveEnv } from './project.ts'
import { documentTypeName, generateTypes } from './types-gen.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function projectWith(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stratus-app-unit-'))
  dirs.push(dir)
  writeFileSync(path.join(dir, 'stratus.yaml'), yaml)
  return dir
}

describe('resolveEnv', () => {
  it('replaces every reference, inside strings too, and leaves other values alone', () => {
    expect(
      resolveEnv(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's reference syntax
        { a: '${env:A}', b: ['x-${env:B}-y', 3, true, null], c: { d: 'plain' } },
        { A: '1', B: '2' },
      ),
    ).toEqual({ a: '1', b: ['x-2-y', 3, true, null], c: { d: 'plain' } })
  })

  it('reports every missing variable with where it is used', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's reference syntax
    const value = { functions: { f: { env: { K: '${env:NOPE}' } } }, auth: ['${env:ALSO}'] }
    expect(() => resolveEnv(value, {})).toThrow(
      new AppCliError('environment variables not set: NOPE (functions.f.env.K), ALSO (auth[0])'),
    )
  })
})

describe('loadProject', () => {
  it.each([
    ['an empty file', '', {}],
    ['empty sections', 'queues:\ncollections:\n  a: {}\n', { collections: { a: {} } }],
  ])('reads %s', (_what, yaml, manifest) => {
    expect(loadProject(projectWith(yaml)).manifest).toEqual(manifest)
  })

  it.each([
    ['a list at the top', '- a\n', /the file must be a mapping/],
    ['a duplicate key', 'queues: {}\nqueues: {}\n', /^stratus\.yaml:2:1: Map keys must be unique/],
    ['an unknown section', 'collection: {}\n', /^stratus\.yaml:1:1: collection: is not a known key here/],
    [
      'a bad trigger',
      'functions:\n  f:\n    source: f.ts\n    triggers: [{ type: cron }]\n',
      /functions\.f\.triggers\.0\.type: must be one of/,
    ],
  ])('refuses %s', (_what, yaml, message) => {
    expect(() => loadProject(projectWith(yaml))).toThrow(message)
  })
})

describe('types', () => {
  it.each([
    ['orders', 'Order'],
    ['order_items', 'OrderItem'],
    ['categories', 'Category'],
    ['status', 'Status'],
    ['news-feed', 'NewsFeed'],
    ['2fa', 'C2fa'],
    // The prelude's and the generated maps' names are not reused.
    ['context', 'ContextDocument'],
    ['document_data', 'DocumentDataDocument'],
  ])('names the documents of %s %s', (collection, name) => {
    expect(documentTypeName(collection)).toBe(name)
  })

  it("types a function's events from its triggers", async () => {
    const out = await generateTypes({
      collections: { orders: { schema: { type: 'object' } }, logs: {} },
      queues: { jobs: {} },
      functions: {
        onOrder: {
          source: 'a.ts',
          triggers: [{ type: 'event', event: 'db.document.*', subject: 'collections/orders/documents/*' }],
        },
        anyDoc: { source: 'b.ts', triggers: [{ type: 'event', event: 'db.document.created' }] },
        worker: {
          source: 'c.ts',
          triggers: [
            { type: 'queue', queue: 'jobs' },
            { type: 'schedule', cron: '0 * * * *' },
          ],
        },
      },
    })
    expect(out).toContain(
      '"onOrder": DocumentCreated<Collections["orders"]> | DocumentUpdated<Collections["orders"]> | DocumentDeleted<Collections["orders"]>',
    )
    expect(out).toContain(
      '"anyDoc": DocumentCreated<Collections["logs"]> | DocumentCreated<Collections["orders"]> | DocumentCreated<DocumentData>',
    )
    expect(out).toContain('"worker": QueueMessage<Queues["jobs"]> | ScheduleTick')
    expect(out).toMatch(/export interface Collections \{\n\s+logs: DocumentData;\n\s+orders: Order;/)
  })
})

describe('renderPlan', () => {
  it('marks data loss and sums up', () => {
    expect(
      renderPlan([
        { action: 'rename', kind: 'collection', name: 'journal', from: 'notes', dataLoss: false },
        { action: 'update', kind: 'function', name: 'f', dataLoss: false, fields: ['env', 'triggers'] },
        { action: 'delete', kind: 'collection', name: 'scratch', dataLoss: true },
      ]),
    ).toBe(
      [
        '  > rename  collection  journal  (from notes)',
        '  ~ update  function    f        (env, triggers)',
        '  - delete  collection  scratch  !! DATA LOSS',
        '1 to update, 1 to rename, 1 to delete; 1 step loses data.',
        '',
      ].join('\n'),
    )
    expect(renderPlan([])).toBe('No changes: the server matches stratus.yaml.\n')
  })
})
