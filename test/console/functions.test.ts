import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'

// The Functions and Schedules pages end to end: a developer writes, deploys, invokes, redeploys,
// compares and rolls back a function; a syntax error lands on its line; a schedule shows its next runs
// and runs by hand; a viewer reads but cannot deploy.

const V1 = `export default async (event, ctx) => {
  ctx.log.info('hello from v1')
  return { greeting: 'Hello, ' + (event.data.body?.name ?? 'world'), version: ctx.version }
}
`
const V2 = `export default async (event, ctx) => {
  ctx.log.info('hello from v2')
  ctx.log.warn('this one is louder')
  return { greeting: ctx.env.GREETING + ', ' + (event.data.body?.name ?? 'world'), version: ctx.version }
}
`
const BROKEN = 'export default async (event) => {\n  const x = ;\n  return x\n}\n'

/** Replaces the CodeMirror document (typed text would get auto-closed brackets). */
async function setCode(page: Page, code: string): Promise<void> {
  const editor = page.getByRole('textbox', { name: 'Function code' })
  await editor.click()
  await page.keyboard.press('ControlOrMeta+a')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(code)
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  if ((await page.locator('html').getAttribute('data-theme')) === theme) return
  await page.getByRole('button', { name: `Switch to ${theme} theme` }).click()
  await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme)
}

describe.each(LANES)('console functions (%s lane)', (lane) => {
  const h = useConsole(lane)

  it.skipIf(!RUN_BROWSER)(
    'a developer creates, deploys, invokes, redeploys, compares and rolls back a function',
    { timeout: 240_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('developer', '/console/functions')
      await page.getByRole('heading', { name: 'Functions', level: 1 }).waitFor()
      await page.getByText('No functions yet').waitFor()
      await screenshot(page, `${lane}-functions-empty`)
      await expectAccessible(page, 'functions (empty)')

      await page.getByRole('button', { name: 'New function', exact: true }).click()
      await page.getByRole('heading', { name: 'New function', level: 1 }).waitFor()
      // Deploying with no name says so before anything is sent.
      await page.getByRole('button', { name: 'Deploy', exact: true }).click()
      await page.getByText('Give the function a name.').waitFor()
      await page.getByLabel('Name', { exact: true }).fill('hello-e2e')
      await setCode(page, V1)
      await page.getByRole('button', { name: 'Add Schedule trigger' }).click()
      await page.getByRole('textbox', { name: 'Cron expression' }).fill('* * *')
      await page.getByText(/this one has 3/).waitFor()
      await screenshot(page, `${lane}-functions-new-invalid`)
      await expectAccessible(page, 'new function (invalid cron)')
      await page.getByRole('button', { name: 'Remove trigger 2' }).click()
      await screenshot(page, `${lane}-functions-new`)
      await expectAccessible(page, 'new function')

      await page.getByRole('button', { name: 'Deploy', exact: true }).click()
      await page.waitForURL(/\/console\/functions\/hello-e2e$/)
      await page.getByRole('heading', { name: 'hello-e2e', level: 1 }).waitFor()
      await page.getByText('live v1').waitFor()

      // The list shows it, with its live version and trigger.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Functions' }).click()
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'hello-e2e' }) })
      await row.waitFor()
      expect(await row.textContent()).toContain('v1')
      expect(await row.textContent()).toContain('HTTP')
      await screenshot(page, `${lane}-functions-list`)
      await expectAccessible(page, 'functions list')

      // Invoke: status, body, logs and duration.
      await row.getByRole('link', { name: 'hello-e2e' }).click()
      await page.getByRole('heading', { name: 'hello-e2e', level: 1 }).waitFor()
      await page.getByLabel('Body').fill('{"name": "Ada"}')
      await page.getByRole('button', { name: 'Invoke', exact: true }).click()
      await expect.poll(() => page.getByTestId('invoke-status').textContent()).toBe('200')
      expect(await page.getByTestId('invoke-body').textContent()).toContain('"greeting": "Hello, Ada"')
      await page.getByRole('list', { name: 'Log lines' }).getByText('hello from v1').waitFor()
      await page.getByText(/round trip/).waitFor()
      await page.getByText(/in the function/).waitFor()
      await screenshot(page, `${lane}-functions-invoked`)
      await expectAccessible(page, 'function code and invoke')
      await setTheme(page, 'dark')
      await screenshot(page, `${lane}-functions-invoked-dark`)
      await expectAccessible(page, 'function code and invoke (dark)')
      await setTheme(page, 'light')

      // A second deploy, with a variable: masked, shown on demand; version 2 goes live and reads it.
      await setCode(page, V2)
      await page.getByText('unsaved changes', { exact: true }).waitFor()
      await page.getByRole('tab', { name: 'Configuration' }).click()
      await page.getByRole('button', { name: 'Add variable' }).click()
      await page.getByRole('textbox', { name: 'Variable 1', exact: true }).fill('GREETING')
      const value = page.getByLabel('Value of GREETING', { exact: true })
      await value.fill('Hola')
      expect(await value.getAttribute('type')).toBe('password')
      await page.getByRole('button', { name: 'Show the value of GREETING' }).click()
      expect(await value.getAttribute('type')).toBe('text')
      await page.getByRole('button', { name: 'Hide the value of GREETING' }).click()
      expect(await value.getAttribute('type')).toBe('password')
      await screenshot(page, `${lane}-functions-configuration`)
      await expectAccessible(page, 'configuration')
      await page.getByRole('button', { name: 'Deploy', exact: true }).click()
      await page.getByText('Deployed version 2').waitFor()
      await page.getByText('live v2').waitFor()
      // The value just deployed stays in the form (the server shows values masked, if at all).
      expect(await page.getByLabel('Value of GREETING', { exact: true }).inputValue()).toBe('Hola')
      await page.getByRole('tab', { name: 'Code' }).click()
      await page.getByRole('button', { name: 'Invoke', exact: true }).click()
      await expect.poll(() => page.getByTestId('invoke-body').textContent()).toContain('Hola, Ada')

      // Versions: the diff between v1 and v2, then a rollback to v1.
      await page.getByRole('tab', { name: 'Versions' }).click()
      await page.getByRole('heading', { name: 'Compare versions' }).waitFor()
      expect(await page.getByRole('combobox', { name: 'From version' }).inputValue()).toBe('1')
      expect(await page.getByRole('combobox', { name: 'To version' }).inputValue()).toBe('2')
      const diff = page.getByTestId('version-diff')
      await diff.waitFor()
      await diff.locator('.cm-changedText').first().waitFor()
      expect(await diff.getByRole('textbox', { name: 'Code of version 1' }).textContent()).toContain(
        'hello from v1',
      )
      expect(await diff.getByRole('textbox', { name: 'Code of version 2' }).textContent()).toContain('louder')
      await page.getByText('env added').waitFor()
      await screenshot(page, `${lane}-functions-versions-diff`)
      await expectAccessible(page, 'versions and diff')
      await setTheme(page, 'dark')
      await screenshot(page, `${lane}-functions-versions-diff-dark`)
      await expectAccessible(page, 'versions and diff (dark)')
      await setTheme(page, 'light')

      await page.getByRole('button', { name: 'Roll back to v1' }).click()
      await page.getByRole('button', { name: 'Confirm rollback' }).click()
      await page.getByText('Version 1 is live again.').waitFor()
      await page.getByText('live v1').waitFor()
      const live = await service<{ version: number; code: string }>('GET', '/admin/v1/functions/hello-e2e')
      expect([live.version, live.code]).toEqual([1, V1])
      await page.getByRole('tab', { name: 'Code' }).click()
      await expect
        .poll(() => page.getByRole('textbox', { name: 'Function code' }).textContent())
        .toContain('hello from v1')

      // Executions: both invocations, with their logs, and a re-run.
      await page.getByRole('tab', { name: 'Executions' }).click()
      await page.getByRole('heading', { name: 'Executions' }).waitFor()
      await expect
        .poll(() => page.getByRole('button', { name: /details of the succeeded execution/ }).count())
        .toBe(2)
      await page
        .getByRole('button', { name: /details of the succeeded execution/ })
        .first()
        .click()
      await page.getByRole('list', { name: 'Log lines' }).getByText('this one is louder').waitFor()
      await screenshot(page, `${lane}-functions-executions`)
      await expectAccessible(page, 'executions')
      await page.getByRole('combobox', { name: 'Status' }).selectOption('failed')
      await page.getByText('No execution matches these filters.').waitFor()
      expect(page.url()).toContain('status=failed')

      // Each execution links to its trace.
      await page.getByRole('button', { name: 'Clear filters' }).click()
      await page
        .getByRole('button', { name: /details of the succeeded execution/ })
        .first()
        .click()
      const { executions } = await service<{ executions: { traceId?: string }[] }>(
        'GET',
        '/admin/v1/functions/hello-e2e/executions?limit=1',
      )
      const traceId = executions[0]?.traceId
      expect(traceId).toMatch(/^[0-9a-f]{32}$/)
      await page.getByRole('link', { name: /^View trace/ }).click()
      await page.waitForURL(new RegExp(`/console/events/traces/${traceId}$`))
      await page.getByRole('heading', { name: 'Trace', level: 1 }).waitFor()
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)('shows a syntax error at its line in the editor', { timeout: 90_000 }, async () => {
    const { open, screenshot, expectAccessible, service } = h()
    await service('PUT', '/admin/v1/functions/taken-e2e', {
      code: 'export default async () => 1',
      triggers: [],
    })
    const page = await open('developer', '/console/functions/new')
    // A name in use is refused before anything is sent (the deploy would replace that function).
    await page.getByLabel('Name', { exact: true }).fill('taken-e2e')
    await page.getByText('A function named taken-e2e exists already').waitFor()
    await page.getByRole('link', { name: 'Open taken-e2e' }).waitFor()
    await page.getByLabel('Name', { exact: true }).fill('broken-e2e')
    await setCode(page, BROKEN)
    await page.getByRole('button', { name: 'Deploy', exact: true }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'functions/invalid-code' })
    await alert.waitFor()
    expect(await alert.textContent()).toContain("Unexpected token ';'")
    const problems = page.getByRole('list', { name: 'Problems in the code' })
    expect(await problems.textContent()).toMatch(/^Line 2, column 13: .*Unexpected token ';'/)
    // CodeMirror underlines the offending token on line 2.
    const marked = page.locator('.cm-lintRange-error')
    await marked.waitFor()
    expect(await marked.textContent()).toBe(';')
    expect(await marked.locator('xpath=ancestor::div[contains(@class,"cm-line")]').textContent()).toMatch(
      /^\s+const x = ;$/,
    )
    await screenshot(page, `${lane}-functions-syntax-error`)
    await expectAccessible(page, 'syntax error')
    expect(page.url()).toMatch(/\/console\/functions\/new$/)
    await expect(service('GET', '/admin/v1/functions/broken-e2e')).rejects.toThrow(/404/)
    await page.close()
  })

  it.skipIf(!RUN_BROWSER)(
    'lists a schedule with its next 5 runs in its time zone, and Run now creates an execution',
    { timeout: 120_000 },
    async () => {
      const { open, screenshot, expectAccessible, service } = h()
      await service('PUT', '/admin/v1/functions/nightly-e2e', {
        code: "export default async (event, ctx) => { ctx.log.info('tick', event.type) }",
        // Once a year, so that only Run now runs it during the test.
        triggers: [{ type: 'schedule', cron: '0 3 1 1 *', timezone: 'Asia/Tokyo' }],
      })
      const page = await open('developer', '/console/schedules')
      await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor()
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'nightly-e2e' }) })
      await row.waitFor()
      const runs = row
        .getByRole('list', { name: 'Next runs of nightly-e2e (Asia/Tokyo)' })
        .getByRole('listitem')
      await expect.poll(() => runs.count()).toBe(5)
      // 03:00 on 1 January in Tokyo, five years running.
      for (const text of await runs.allTextContents()) expect(text).toMatch(/Jan.*03:00:00.*GMT\+9/)
      expect(await row.textContent()).toContain('never')
      await screenshot(page, `${lane}-functions-schedules`)
      await expectAccessible(page, 'schedules')

      await row.getByRole('button', { name: 'Run now' }).click()
      await row.getByText(/Started execution/).waitFor()
      const execution = await eventually(
        async () => {
          const { executions } = await service<{ executions: { trigger: string; status: string }[] }>(
            'GET',
            '/admin/v1/functions/nightly-e2e/executions',
          )
          return executions[0]
        },
        15_000,
        'the execution Run now started',
      )
      expect(execution).toMatchObject({ trigger: 'schedule', status: 'succeeded' })
      await expect.poll(() => row.getByText('succeeded').count(), { timeout: 20_000 }).toBe(1)
      await screenshot(page, `${lane}-functions-schedules-ran`)
      await setTheme(page, 'dark')
      await screenshot(page, `${lane}-functions-schedules-dark`)
      await expectAccessible(page, 'schedules (dark)')

      // The function's configuration shows the trigger and its deployed next runs.
      await page.goto(
        page.url().replace('/console/schedules', '/console/functions/nightly-e2e?tab=configuration'),
      )
      await page.getByRole('group', { name: 'Trigger 1: Schedule' }).waitFor()
      expect(await page.getByRole('textbox', { name: 'Cron expression' }).inputValue()).toBe('0 3 1 1 *')
      await page.getByRole('list', { name: 'Next runs (Asia/Tokyo)' }).waitFor()
      await screenshot(page, `${lane}-functions-configuration-dark`)
      await expectAccessible(page, 'configuration (dark)')
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'a viewer reads functions but sees no Deploy button, and the API refuses its deploy',
    { timeout: 90_000 },
    async () => {
      const { open, screenshot, expectAccessible, service, t } = h()
      await service('PUT', '/admin/v1/functions/viewer-e2e', {
        code: 'export default async () => 1',
        env: { GREETING: 'hello' },
        triggers: [{ type: 'http' }, { type: 'queue', queue: 'emails' }],
      })
      const page = await open('viewer', '/console/functions')
      await page.getByRole('link', { name: 'viewer-e2e' }).waitFor()
      expect(await page.getByRole('button', { name: 'New function' }).count()).toBe(0)
      await page.getByRole('link', { name: 'viewer-e2e' }).click()
      await page.getByRole('heading', { name: 'viewer-e2e', level: 1 }).waitFor()
      await page.getByText('You are a viewer').waitFor()
      expect(await page.getByRole('button', { name: 'Deploy' }).count()).toBe(0)
      expect(await page.getByRole('button', { name: 'Invoke', exact: true }).isDisabled()).toBe(true)
      await screenshot(page, `${lane}-functions-viewer`)
      await expectAccessible(page, 'function (viewer)')
      await page.getByRole('tab', { name: 'Configuration' }).click()
      await page.getByRole('group', { name: 'Trigger 2: Queue' }).waitFor()
      expect(await page.getByRole('button', { name: /Add .* trigger/ }).count()).toBe(0)
      await screenshot(page, `${lane}-functions-viewer-configuration`)
      await expectAccessible(page, 'configuration (viewer)')

      // The server refuses the viewer whatever the page shows: 403 auth/forbidden with the CSRF header.
      const csrf = (await page.context().cookies()).find((c) => c.name === 'stratus_csrf')?.value ?? ''
      const refused = await page.context().request.put(`${t.url}/admin/v1/functions/viewer-e2e`, {
        headers: { 'x-csrf-token': csrf },
        data: { code: 'export default async () => 2', triggers: [] },
      })
      expect(refused.status()).toBe(403)
      expect((await refused.json()).error.code).toBe('auth/forbidden')
      const after = await service<{ version: number }>('GET', '/admin/v1/functions/viewer-e2e')
      expect(after.version).toBe(1)
      await page.close()
    },
  )
})
