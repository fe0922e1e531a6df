import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'

// The operator's pages: queues and dead letters, the events tail, and one trace as a waterfall.
describe.each(LANES)('console queues and events (%s lane)', (lane) => {
  const h = useConsole(lane)

  it.skipIf(!RUN_BROWSER)(
    'publishes a test message, shows its dead letter, redrives and purges',
    { timeout: 120_000 },
    async () => {
      const { open, service, screenshot, expectAccessible } = h()
      await service('PUT', '/admin/v1/functions/failer', {
        code: "export default async (event) => { throw new Error('boom on ' + JSON.stringify(event.data.payload)) }",
        retries: 0,
        triggers: [{ type: 'queue', queue: 'jobs' }],
      })
      const page = await open('developer', '/console/queues')
      await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor()
      await page.getByLabel('Queue', { exact: true }).fill('jobs')
      await page.getByLabel('Payload (JSON)').fill('{not json')
      await page.getByRole('button', { name: 'Publish' }).click()
      await page.getByRole('alert').filter({ hasText: 'The payload is not JSON' }).waitFor()
      await page.getByLabel('Payload (JSON)').fill('{"n": 1}')
      await page.getByRole('button', { name: 'Publish' }).click()
      await page.getByText('Published message').waitFor()
      const deadTable = page.getByRole('region', { name: 'Dead letters' })
      await expect
        .poll(async () => deadTable.getByText('boom on {"n":1}').count(), { timeout: 30_000, interval: 1000 })
        .toBeGreaterThan(0)
      await page.getByRole('button', { name: 'Show event' }).first().click()
      await screenshot(page, `${lane}-queues-dead-letter`)
      await expectAccessible(page, 'queues with a dead letter')

      // Redrive one: it fails again (the function still throws) and comes back as a dead letter.
      const before = await service<{ deadLetters: unknown[] }>(
        'GET',
        '/admin/v1/dead-letters?function=failer',
      )
      expect(before.deadLetters).toHaveLength(1)
      await page.getByRole('button', { name: 'Redrive', exact: true }).first().click()
      await page.getByText('Redrove the dead letter of failer.').waitFor()
      // Purge everything (two presses: the first one asks).
      await page.getByRole('button', { name: 'Purge all' }).click()
      await page.getByRole('button', { name: 'Press again to confirm' }).click()
      await page.getByText(/Purged \d+ dead letters?\./).waitFor()
      await eventually(async () => {
        const after = await service<{ deadLetters: unknown[] }>(
          'GET',
          '/admin/v1/dead-letters?function=failer',
        )
        return after.deadLetters.length === 0
      })
      await screenshot(page, `${lane}-queues-purged`)
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)('gives a viewer the queues without publish or redrive', async () => {
    const { open, screenshot } = h()
    const page = await open('viewer', '/console/queues')
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor()
    await page.getByText('Viewers cannot publish messages.').waitFor()
    expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true)
    expect(await page.getByRole('button', { name: 'Redrive all' }).count()).toBe(0)
    await screenshot(page, `${lane}-queues-viewer`)
    await page.close()
  })

  it.skipIf(!RUN_BROWSER)(
    'tails events, opens one to what it caused, and draws its trace',
    { timeout: 120_000 },
    async () => {
      const { open, service, screenshot, expectAccessible, t } = h()
      await service('PUT', '/admin/v1/functions/stamp', {
        code: "export default async (event, ctx) => { await ctx.db.collection('stamps').doc(event.data.document.id).set({ at: 1 }); return 'ok' }",
        triggers: [
          { type: 'event', event: 'db.document.created', subject: 'collections/orders/documents/*' },
        ],
      })
      const page = await open('viewer', '/console/events')
      await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor()
      const created = await fetch(`${t.url}/db/v1/collections/orders/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'order-1', data: { total: 42 } }),
      })
      expect(created.status).toBe(201)
      const traceId = /^00-([0-9a-f]{32})-/.exec(created.headers.get('traceparent') ?? '')?.[1]
      expect(traceId).toBeDefined()
      await page.getByLabel('Type').fill('db.document.*')
      await page.getByLabel('Subject').fill('collections/orders/**')
      const row = page.getByRole('row').filter({ hasText: 'collections/orders/documents/order-1' })
      await row.waitFor({ timeout: 20_000 })
      await expect
        .poll(() => row.getByText('stamp #1 succeeded').count(), { timeout: 20_000, interval: 500 })
        .toBe(1)
      await row.getByRole('button').first().click()
      await page.getByRole('heading', { name: 'Executions it caused' }).waitFor()
      await screenshot(page, `${lane}-events-tail`)
      await expectAccessible(page, 'events')

      await page.getByRole('link', { name: /Open trace/ }).click()
      await page.getByRole('heading', { name: 'Trace', level: 1 }).waitFor()
      await page.getByText(traceId!).waitFor()
      const waterfall = page.getByRole('region', { name: 'Waterfall' })
      for (const kind of ['request', 'event', 'execution']) {
        await expect.poll(() => waterfall.getByText(kind, { exact: true }).count()).toBeGreaterThan(0)
      }
      await waterfall
        .getByRole('button', { name: /execution/ })
        .first()
        .click()
      await page.getByText('stamp').first().waitFor()
      await screenshot(page, `${lane}-events-trace`)
      await expectAccessible(page, 'trace')
      await page.close()
    },
  )
})
