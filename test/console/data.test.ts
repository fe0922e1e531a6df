import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { type ConsoleHarness, RUN_BROWSER, useConsole } from './harness.ts'

// The Data pages end to end: a seeded collection in the virtualised grid (filter, sort, scroll), the
// document editor (schema errors at their place, a version conflict), bulk delete, export and import,
// a viewer's read-only view, and a 100k-document collection that opens with a page or two of requests.

const ORDERS = 'orders'
const SEEDED = 2000
const SCHEMA = {
  type: 'object',
  required: ['n'],
  properties: {
    n: { type: 'integer', minimum: 0 },
    status: { enum: ['open', 'closed'] },
    title: { type: 'string' },
  },
}

const orderId = (i: number) => `o${String(i).padStart(5, '0')}`
const order = (i: number) => ({
  n: i,
  status: i % 3 === 0 ? 'open' : 'closed',
  title: `Order ${i}`,
  owner: `u${i % 10}`,
  tags: i % 2 ? ['odd'] : ['even'],
})

/** Writes documents through the batch route, 500 per request (the API's most). */
async function seed(
  h: ConsoleHarness,
  collection: string,
  count: number,
  data: (i: number) => object,
  id = orderId,
) {
  for (let start = 0; start < count; start += 500) {
    const writes = []
    for (let i = start; i < Math.min(count, start + 500); i++) {
      writes.push({ op: 'set', collection, id: id(i), data: data(i) })
    }
    await h.service('POST', '/db/v1/batch', { writes })
  }
}

/** Replaces the text of the CodeMirror editor named `label` (one input event, as a paste). */
async function setEditor(page: Page, label: string, text: string) {
  const editor = page.getByRole('textbox', { name: label, exact: true })
  await editor.click()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.insertText(text)
}

/** Polls with room for a loaded machine (vitest's default gives up after a second). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 })

const loaded = async (page: Page) =>
  Number(/^[\d,]+/.exec((await page.locator('.doc-count').textContent()) ?? '')?.[0].replaceAll(',', '') ?? 0)
const gridRows = (page: Page) => page.getByRole('grid', { name: 'Documents' }).locator('tbody tr')

describe.each(LANES)('console data (%s lane)', (lane) => {
  const h = useConsole(lane)
  let seeded = false
  async function seedOrders() {
    if (seeded) return
    seeded = true
    const { service } = h()
    await service('PUT', `/admin/v1/collections/${ORDERS}`, {
      rules: { read: 'auth != null', create: false, update: false, delete: false },
      schema: SCHEMA,
    })
    await seed(h(), ORDERS, SEEDED, order)
  }

  it.skipIf(!RUN_BROWSER)(
    'lists collections, then filters, sorts and scrolls a virtualised grid of 2,000 documents',
    { timeout: 180_000 },
    async () => {
      await seedOrders()
      const { open, screenshot, expectAccessible } = h()
      const page = await open('owner', '/console/data')
      await page.getByRole('heading', { name: 'Data', level: 1 }).waitFor()
      const link = page.getByRole('link', { name: ORDERS, exact: true })
      await link.waitFor()
      const row = page.getByRole('row').filter({ has: link })
      await poll(() => row.textContent()).toContain('2,000')
      await screenshot(page, `${lane}-data-collections`)
      await expectAccessible(page, 'data: collections')

      await link.click()
      await page.getByRole('heading', { name: ORDERS, level: 1 }).waitFor()
      await page.getByRole('grid', { name: 'Documents' }).waitFor()
      await poll(() => page.locator('.doc-count').textContent()).toBe('200 of 2,000 loaded')
      await poll(() => gridRows(page).first().textContent()).toContain('o00000')
      await screenshot(page, `${lane}-data-grid`)
      await expectAccessible(page, 'data: documents grid')

      // Scrolling loads more pages by cursor; the DOM keeps only the rows in view (and a few more).
      const scroller = page.locator('.grid-scroll')
      for (let i = 0; i < 4; i++) {
        await scroller.evaluate((el) => {
          el.scrollTop = el.scrollHeight
        })
        await poll(() => loaded(page)).toBeGreaterThanOrEqual(200 * (i + 2))
      }
      const inDom = await gridRows(page).count()
      expect(await loaded(page)).toBeGreaterThanOrEqual(1000)
      expect(inDom).toBeLessThan(80)
      await screenshot(page, `${lane}-data-grid-scrolled`)
      await expectAccessible(page, 'data: grid scrolled')

      // Filter: status == open, as a where JSON in the URL.
      await page.getByRole('button', { name: 'Add filter' }).click()
      await page.getByLabel('Filter 1 field').fill('status')
      await page.getByLabel('Filter 1 value').fill('open')
      await poll(() => page.getByTestId('where-json').textContent()).toBe('where=[["status","==","open"]]')
      await page.getByRole('button', { name: 'Apply' }).click()
      await poll(() => decodeURIComponent(page.url())).toContain('where=[["status","==","open"]]')
      await poll(() => page.locator('.doc-count').textContent()).toMatch(/^200 loaded, more match$/)
      const headers = await page
        .getByRole('grid', { name: 'Documents' })
        .locator('thead th')
        .allTextContents()
      const statusColumn = headers.indexOf('status') + 1
      expect(statusColumn).toBeGreaterThan(0)
      const statuses = await gridRows(page).locator(`td:nth-child(${statusColumn})`).allTextContents()
      expect(new Set(statuses)).toEqual(new Set(['open']))

      // Sort by n, descending (two clicks on its header): the largest open order first.
      const sortN = page.getByRole('button', { name: 'n', exact: true })
      await sortN.click()
      await poll(() => gridRows(page).first().textContent()).toContain('o00000')
      await sortN.click()
      await poll(() => gridRows(page).first().textContent()).toContain('o01998')
      await poll(() =>
        page.getByRole('columnheader', { name: 'n', exact: true }).getAttribute('aria-sort'),
      ).toBe('descending')
      await screenshot(page, `${lane}-data-filtered-sorted`)
      await expectAccessible(page, 'data: filtered and sorted')

      // A deep link reproduces the query.
      await page.goto(page.url())
      await poll(() => gridRows(page).first().textContent()).toContain('o01998')
      expect(await page.getByLabel('Filter 1 value').inputValue()).toBe('open')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'edits a document against its schema, resolves a version conflict, bulk deletes, exports and imports',
    { timeout: 180_000 },
    async () => {
      await seedOrders()
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('owner', `/console/data/${ORDERS}?doc=o00005`)
      await page.getByRole('heading', { name: 'Document o00005' }).waitFor()
      const label = 'Document o00005 data (JSON)'
      await poll(() => page.getByRole('textbox', { name: label }).textContent()).toContain('Order 5')

      // Schema errors show at their place before saving, and block the save.
      await setEditor(page, label, '{"n": -3, "status": "maybe", "title": "Order 5"}')
      const problems = page.getByRole('list', { name: 'Problems in the document' })
      await poll(() => problems.textContent()).toContain('/n must be >= 0')
      expect(await problems.textContent()).toContain('/status must be equal to one of the allowed values')
      await poll(() => page.locator('.doc-editor .cm-lintRange-error').count()).toBeGreaterThanOrEqual(2)
      expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true)
      await screenshot(page, `${lane}-data-schema-errors`)
      await expectAccessible(page, 'data: schema errors')

      await setEditor(page, label, '{"n": 5, "status": "open", "title": "Edited in the console"}')
      await page.getByRole('button', { name: 'Save', exact: true }).click()
      await page.getByText('Saved version 2.').waitFor()
      await poll(() => page.getByRole('row').filter({ hasText: 'o00005' }).textContent()).toContain(
        'Edited in the console',
      )

      // Someone else writes meanwhile: the save is refused (412) and the conflict is shown.
      await service('PUT', `/db/v1/collections/${ORDERS}/documents/o00005`, {
        data: { n: 5, status: 'closed', title: 'Changed through the API' },
      })
      await setEditor(page, label, '{"n": 5, "status": "open", "title": "Mine"}')
      await page.getByRole('button', { name: 'Save', exact: true }).click()
      const conflict = page.getByRole('alert').filter({ hasText: 'Version conflict' })
      await conflict.waitFor()
      expect(await conflict.textContent()).toContain('the server now has version 3')
      expect(await conflict.textContent()).toContain('status, title')
      await poll(() =>
        page.getByRole('textbox', { name: 'Server version 3 of the document (read only)' }).textContent(),
      ).toContain('Changed through the API')
      await screenshot(page, `${lane}-data-conflict`)
      await expectAccessible(page, 'data: version conflict')
      await page.getByRole('button', { name: 'Overwrite with mine (as version 4)' }).click()
      await page.getByText('Saved version 4.').waitFor()
      const stored = await service<{ version: number; data: { title: string } }>(
        'GET',
        `/db/v1/collections/${ORDERS}/documents/o00005`,
      )
      expect(stored).toMatchObject({ version: 4, data: { title: 'Mine' } })

      // The other way out: take the server's version.
      await service('PUT', `/db/v1/collections/${ORDERS}/documents/o00005`, {
        data: { n: 5, status: 'closed', title: 'Theirs again' },
      })
      await setEditor(page, label, '{"n": 5, "title": "Lost edit"}')
      await page.getByRole('button', { name: 'Save', exact: true }).click()
      await page.getByRole('button', { name: 'Reload version 5 (discard my changes)' }).click()
      await poll(() => page.getByRole('textbox', { name: label }).textContent()).toContain('Theirs again')
      await page.getByRole('button', { name: 'Close the document editor' }).click()

      // Bulk delete: rows selected by keyboard (Space) and by checkbox.
      const first = gridRows(page).first()
      await first.focus()
      await page.keyboard.press('Space')
      await page.keyboard.press('ArrowDown')
      await page.keyboard.press('Space')
      await page.getByRole('checkbox', { name: 'Select document o00002' }).check()
      expect(await first.getAttribute('aria-selected')).toBe('true')
      const remove = page.getByRole('button', { name: 'Delete selected (3)' })
      await remove.click()
      await page.getByRole('button', { name: 'Press again to delete 3' }).click()
      await page.getByText('Deleted 3 documents.').waitFor()
      for (const id of ['o00000', 'o00001', 'o00002']) {
        const res = await fetch(`${h().t.url}/db/v1/collections/${ORDERS}/documents/${id}`, {
          headers: { authorization: `Bearer ${h().t.serviceKey}` },
        })
        expect(res.status).toBe(404)
      }
      await poll(() => gridRows(page).first().textContent()).toContain('o00003')
      await screenshot(page, `${lane}-data-bulk-deleted`)
      await expectAccessible(page, 'data: bulk deleted')

      // Export the whole collection (pages of 1000 behind the scenes) as JSON, and the open ones as CSV.
      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export JSON' }).click(),
      ])
      const exported = JSON.parse(readFileSync((await json.path())!, 'utf8')) as {
        id: string
        data: object
      }[]
      expect(exported).toHaveLength(SEEDED - 3)
      expect(exported.find((d) => d.id === 'o00005')?.data).toEqual({
        n: 5,
        status: 'closed',
        title: 'Theirs again',
      })
      await page.getByText(`Exported ${(SEEDED - 3).toLocaleString('en-US')} documents as JSON`).waitFor()

      await page.goto(
        `${h().t.url}/console/data/${ORDERS}?where=${encodeURIComponent('[["status","==","open"]]')}`,
      )
      await page.getByRole('grid', { name: 'Documents' }).waitFor()
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ])
      const lines = readFileSync((await csv.path())!, 'utf8')
        .trim()
        .split('\r\n')
      expect(lines[0]).toBe('id,version,createdAt,updatedAt,n,owner,status,tags,title')
      expect(lines.slice(1).every((line) => line.includes(',open,'))).toBe(true)

      // Import: two good rows, one the schema refuses (reported with its line), one bad id.
      await page.getByRole('button', { name: 'Import' }).click()
      const file =
        'id,n,status,title\r\nimp1,1,open,Imported one\r\nimp2,2,closed,"Imported, two"\r\nimp3,-1,open,Bad\r\nbad id!,4,open,x\r\n'
      await page.getByLabel('File (.json or .csv)').setInputFiles({
        name: 'orders.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(file),
      })
      await page.getByRole('button', { name: 'Import', exact: true }).last().click()
      await page.getByText('Imported 2 documents; 2 failed (below).').waitFor()
      const failures = page.getByRole('table', { name: 'Rows that were not imported' })
      expect(await failures.textContent()).toContain('imp3')
      expect(await failures.textContent()).toContain('must be >= 0')
      await screenshot(page, `${lane}-data-import`)
      await expectAccessible(page, 'data: import report')
      const imported = await service<{ data: object }>('GET', `/db/v1/collections/${ORDERS}/documents/imp2`)
      expect(imported.data).toEqual({ n: 2, status: 'closed', title: 'Imported, two' })
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'creates a collection with a schema, a document in it, tries the schema and declares an index',
    { timeout: 120_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('developer', '/console/data')
      await page.getByRole('button', { name: 'New collection' }).click()
      await page.getByLabel('Name').fill('people')
      await page.getByLabel('Rules to start from').selectOption('owner')
      await setEditor(
        page,
        'JSON Schema for documents (optional)',
        '{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}',
      )
      await screenshot(page, `${lane}-data-new-collection`)
      await expectAccessible(page, 'data: new collection')
      await page.getByRole('button', { name: 'Create collection' }).click()
      await page.getByRole('heading', { name: 'people', level: 1 }).waitFor()
      await page.getByText('0 documents · configuration version 1').waitFor()

      // A new document: an error from the schema first, then saved under the id given.
      await page.getByRole('button', { name: 'New document' }).click()
      await page.getByLabel('Id (empty: a generated one)').fill('ada')
      await setEditor(page, 'New document data (JSON)', '{"age": 36}')
      await poll(() => page.getByRole('list', { name: 'Problems in the document' }).textContent()).toContain(
        "The document must have required property 'name'",
      )
      await setEditor(page, 'New document data (JSON)', '{"name": "Ada", "age": 36}')
      await page.getByRole('button', { name: 'Create document' }).click()
      await page.getByRole('heading', { name: 'Document ada' }).waitFor()
      await poll(() => gridRows(page).count()).toBe(1)
      const created = await service<{ data: object; version: number }>(
        'GET',
        '/db/v1/collections/people/documents/ada',
      )
      expect(created).toMatchObject({ data: { name: 'Ada', age: 36 }, version: 1 })

      // The schema tab tries an edited schema on the stored documents before saving it.
      await page.getByRole('tab', { name: 'Schema' }).click()
      await setEditor(
        page,
        'JSON Schema',
        '{"type": "object", "properties": {"age": {"type": "integer", "maximum": 30}}}',
      )
      await page.getByRole('button', { name: 'Try on the first 500 documents' }).click()
      await page.getByText('1 of 1 documents checked would not pass:').waitFor()
      expect(await page.getByRole('status').filter({ hasText: 'would not pass' }).textContent()).toContain(
        '/age must be <= 30',
      )
      await screenshot(page, `${lane}-data-schema-tab`)
      await expectAccessible(page, 'data: schema tab')
      await page.getByRole('button', { name: 'Reset' }).click()

      // An index on age, descending.
      await page.getByRole('tab', { name: 'Indexes' }).click()
      await page.getByLabel('Index field 1', { exact: true }).fill('age')
      await page.getByLabel('Index field 1 direction').selectOption('desc')
      await page.getByRole('button', { name: 'Add index' }).click()
      await page.getByRole('button', { name: 'Save indexes' }).click()
      await page.getByText(/Indexes saved \(configuration version 2\)/).waitFor()
      await screenshot(page, `${lane}-data-indexes`)
      await expectAccessible(page, 'data: indexes tab')
      const info = await service<{
        collection: { indexes: unknown; schema: unknown; rules: { read: string } }
      }>('GET', '/admin/v1/collections/people')
      expect(info.collection.indexes).toEqual([['age', 'desc']])
      expect(info.collection.schema).toMatchObject({ required: ['name'] })
      expect(info.collection.rules.read).toBe('auth != null && doc.owner == auth.uid')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)('gives a viewer a read-only view, and the server refuses its writes', async () => {
    await seedOrders()
    const { open, screenshot, expectAccessible } = h()
    const page = await open('viewer', `/console/data/${ORDERS}?doc=o00010`)
    await page.getByRole('heading', { name: 'Document o00010' }).waitFor()
    await page.getByText('Viewers can read documents but not change them.').waitFor()
    expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'New document' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Import' }).count()).toBe(0)
    expect(await page.getByRole('checkbox').count()).toBe(0)
    expect(
      await page
        .getByRole('textbox', { name: 'Document o00010 data (JSON)' })
        .getAttribute('contenteditable'),
    ).toBe('false')
    await screenshot(page, `${lane}-data-viewer`)
    await expectAccessible(page, 'data: viewer')

    await page.getByRole('tab', { name: 'Rules' }).click()
    await page.getByText('Viewers can read the rules but not change them.').waitFor()
    expect(await page.getByRole('button', { name: 'Save rules' }).count()).toBe(0)

    // Even with the cookie and the CSRF token, the server says no.
    const csrf = (await page.context().cookies()).find((c) => c.name === 'stratus_csrf')?.value ?? ''
    const refused = await page
      .context()
      .request.put(`${h().t.url}/admin/v1/app/db/v1/collections/${ORDERS}/documents/o00010`, {
        data: { data: { n: 10 } },
        headers: { 'x-csrf-token': csrf },
      })
    expect(refused.status()).toBe(403)
    await page.close()
  })

  it.skipIf(!RUN_BROWSER)(
    'opens a 100,000-document collection with one page of requests, and loads one more page per scroll',
    { timeout: 180_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      // Seeded in SQL (the batch route would take minutes): the grid only reads.
      await t.platform.db.query(
        `INSERT INTO documents (collection, id, data, version)
         SELECT 'big', 'b' || lpad(g::text, 6, '0'), jsonb_build_object('n', g, 'label', 'row ' || g), 1
         FROM generate_series(1, 100000) AS g`,
      )
      const page = await open('owner', '/console/data')
      const reads: string[] = []
      page.on('request', (request) => {
        if (request.url().includes('/admin/v1/app/db/v1/collections/big/documents')) reads.push(request.url())
      })
      await page.getByRole('link', { name: 'big', exact: true }).click()
      await poll(() => page.locator('.doc-count').textContent()).toBe('200 of 100,000 loaded')
      await page.waitForLoadState('networkidle')
      expect(reads.length).toBeLessThanOrEqual(2)
      expect(reads.every((url) => new URL(url).searchParams.get('limit') === '200')).toBe(true)
      expect(await gridRows(page).count()).toBeLessThan(60)
      await screenshot(page, `${lane}-data-100k`)
      await expectAccessible(page, 'data: 100k collection')

      const before = reads.length
      await page.locator('.grid-scroll').evaluate((el) => {
        el.scrollTop = el.scrollHeight
      })
      await poll(() => page.locator('.doc-count').textContent()).toBe('400 of 100,000 loaded')
      await page.waitForLoadState('networkidle')
      expect(reads.length - before).toBe(1)
      expect(await gridRows(page).count()).toBeLessThan(60)
      await page.close()
    },
  )
})
