import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'

// App as code in the console: what a deployment applied says "Managed by stratus.yaml" on its page, a
// change made outside a deployment shows as drift with the deployment it departs from, and Settings lists
// the deployments.

const CODE = `export default async (event, ctx) => ({ hello: 'from the manifest' })\n`
const EDITED = `export default async (event, ctx) => ({ hello: 'edited outside the manifest' })\n`

/** Replaces the CodeMirror document (typed text would get auto-closed brackets). */
async function setCode(page: Page, code: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Function code' }).click()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(code)
}

interface Deployed {
  id: string
  hash: string
}

describe.each(LANES)('console managed resources (%s lane)', (lane) => {
  const h = useConsole(lane)
  const MANIFEST = {
    collections: { orders: { rules: { read: 'auth != null' } } },
    buckets: { assets: {} },
    queues: { jobs: {} },
    functions: { greeter: { code: CODE, triggers: [{ type: 'http' }] } },
  }

  it.skipIf(!RUN_BROWSER)(
    'marks deployed resources managed, shows drift after an admin API edit, and lists the deployment',
    { timeout: 200_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      const deployed = await service<Deployed>('POST', '/admin/v1/deployments', { manifest: MANIFEST })
      expect(deployed.id).toBeTruthy()

      // The function page: managed, in sync (no drift notice).
      const page = await open('developer', '/console/functions/greeter')
      await page.getByRole('heading', { name: 'greeter', level: 1 }).waitFor()
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      expect(await page.getByRole('status', { name: /Changed outside stratus\.yaml/ }).count()).toBe(0)
      await screenshot(page, `${lane}-managed-function`)
      await expectAccessible(page, 'managed function')

      // The list marks it too.
      await page.goto(`${h().t.url}/console/functions`)
      const row = page.getByRole('row').filter({ hasText: 'greeter' })
      await row.getByText('managed', { exact: true }).waitFor()
      expect(await row.getByText('drifted', { exact: true }).count()).toBe(0)

      // The collection, bucket and queue pages.
      await page.goto(`${h().t.url}/console/data/orders`)
      await page.getByRole('heading', { name: 'orders', level: 1 }).waitFor()
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      await screenshot(page, `${lane}-managed-collection`)
      await page.goto(`${h().t.url}/console/storage/assets`)
      await page.getByRole('heading', { name: 'assets', level: 1 }).waitFor()
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      await page.goto(`${h().t.url}/console/queues`)
      const queueRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^jobs/ }) })
      await queueRow.getByText('managed', { exact: true }).waitFor()
      await screenshot(page, `${lane}-managed-queues`)

      // An edit through the admin API, outside any deployment: the function is drifted.
      await service('PUT', '/admin/v1/functions/greeter', { code: EDITED, triggers: [{ type: 'http' }] })
      await page.goto(`${h().t.url}/console/functions/greeter`)
      const drift = page.getByRole('status', { name: 'Changed outside stratus.yaml' })
      await drift.waitFor()
      const text = (await drift.textContent()) ?? ''
      expect(text).toContain(`since deployment ${deployed.id}`)
      expect(text).toContain('the next deploy will overwrite this change')
      expect(text).toContain('stratus pull')
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      await page.getByText('drifted', { exact: true }).waitFor()
      await screenshot(page, `${lane}-managed-function-drifted`)
      await expectAccessible(page, 'drifted function')

      // The collection stays in sync: drift is per resource.
      await page.goto(`${h().t.url}/console/data/orders`)
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      expect(await page.getByRole('status', { name: /Changed outside stratus\.yaml/ }).count()).toBe(0)

      // The notice links to the deployments, where this one is listed: who, how many changes, the hash.
      await page.goto(`${h().t.url}/console/functions/greeter`)
      await drift.getByRole('link', { name: deployed.id }).click()
      await page.getByRole('tab', { name: 'Deployments', selected: true }).waitFor()
      const deploymentRow = page
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: deployed.id }) })
      await deploymentRow.waitFor()
      const cells = await deploymentRow.getByRole('cell').allTextContents()
      expect(cells[1]).toBe('service')
      expect(cells[2]).toBe('4')
      expect(cells[3]).toBe(deployed.hash.slice(0, 12))
      await screenshot(page, `${lane}-managed-deployments`)
      await expectAccessible(page, 'deployments list')

      // Deploying the file again puts it back in sync; a deploy from the console's editor then shows the
      // drift at once, without a reload.
      const again = await service<Deployed>('POST', '/admin/v1/deployments', { manifest: MANIFEST })
      await page.goto(`${h().t.url}/console/functions/greeter`)
      await page.getByRole('heading', { name: 'greeter', level: 1 }).waitFor()
      await page.getByText('live v3').waitFor()
      await page.getByText('Managed by stratus.yaml', { exact: true }).waitFor()
      expect(await drift.count()).toBe(0)
      await setCode(page, EDITED)
      await page.getByRole('button', { name: 'Deploy', exact: true }).click()
      await page.getByText('Deployed version 4: it is live on every node.').waitFor()
      await drift.waitFor()
      expect(await drift.textContent()).toContain(`since deployment ${again.id}`)
      await screenshot(page, `${lane}-managed-console-edit`)
      await page.close()
    },
  )
})
