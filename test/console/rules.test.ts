import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'

// Rules end to end: a syntax error marked at its position before saving, then the simulator: denied
// for an anonymous caller, allowed for the owner picked by email, with the deciding expression and the
// values it read; the question lives in the URL, so the link reproduces the verdict.

const NOTES = 'notes'
const OWNER_RULE = 'auth != null && auth.uid == doc.owner'
const ALICE = 'alice@rules.test'

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 })

async function setEditor(page: Page, label: string, text: string) {
  await page.getByRole('textbox', { name: label, exact: true }).click()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.insertText(text)
}

describe.each(LANES)('console rules (%s lane)', (lane) => {
  const h = useConsole(lane)
  let alice = ''

  async function setUp() {
    if (alice) return
    const { service, t } = h()
    await service('PUT', `/admin/v1/collections/${NOTES}`, {
      rules: {
        read: OWNER_RULE,
        create: 'auth != null && request.data.owner == auth.uid',
        update: false,
        delete: false,
      },
    })
    const res = await fetch(`${t.url}/auth/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ALICE, password: 'alice-password-1' }),
    })
    expect(res.status).toBe(201)
    alice = ((await res.json()) as { user: { id: string } }).user.id
    await service('PUT', `/db/v1/collections/${NOTES}/documents/n1`, {
      data: { owner: alice, text: 'hello' },
    })
  }

  it.skipIf(!RUN_BROWSER)(
    'marks a rule’s syntax error at its position before saving',
    { timeout: 120_000 },
    async () => {
      await setUp()
      const { open, screenshot, expectAccessible, service } = h()
      const page = await open('developer', `/console/data/${NOTES}?tab=rules`)
      await page.getByRole('tab', { name: 'Rules', selected: true }).waitFor()
      await poll(() => page.getByRole('textbox', { name: 'read rule' }).textContent()).toBe(OWNER_RULE)

      const broken = 'auth != null && request.data.owner == '
      const expected = await service<{ ok: boolean; error: { position: { line: number; column: number } } }>(
        'POST',
        '/admin/v1/rules/check',
        { expression: broken },
      )
      expect(expected.ok).toBe(false)
      await setEditor(page, 'update rule', broken)
      const where = `Line ${expected.error.position.line}, column ${expected.error.position.column}:`
      const editor = page
        .locator('.rule-editor')
        .filter({ has: page.getByRole('heading', { name: 'update' }) })
      await poll(() => editor.locator('.field-error').textContent()).toContain(where)
      // At the end of the text the mark is a point (CodeMirror's way to mark an empty range).
      await poll(() => editor.locator('.cm-lintRange-error, .cm-lintPoint-error').count()).toBeGreaterThan(0)
      expect(await page.getByRole('button', { name: 'Save rules' }).isDisabled()).toBe(true)
      await page.getByText('Fix the marked rules to save.').waitFor()
      await screenshot(page, `${lane}-rules-syntax-error`)
      await expectAccessible(page, 'rules: syntax error')

      await setEditor(page, 'update rule', `${broken}auth.uid`)
      await poll(() => editor.getByText('Syntax OK').count()).toBe(1)
      await page.getByRole('button', { name: 'Save rules' }).click()
      await page.getByText(/Rules saved \(configuration version 2\)/).waitFor()
      const saved = await service<{ collection: { rules: { update: string; delete: boolean } } }>(
        'GET',
        `/admin/v1/collections/${NOTES}`,
      )
      expect(saved.collection.rules).toMatchObject({ update: `${broken}auth.uid`, delete: false })
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'simulates a read: denied for anonymous, allowed for the owner found by email, with the values read',
    { timeout: 120_000 },
    async () => {
      await setUp()
      const { open, screenshot, expectAccessible, t } = h()
      const page = await open('viewer', `/console/data/${NOTES}?tab=rules`)
      // The rules tab links to the simulator, prefilled.
      await page.getByRole('link', { name: 'Simulate the read rule' }).click()
      await page.getByRole('heading', { name: 'Rules simulator', level: 1 }).waitFor()
      const verdict = page.getByRole('region', { name: /Verdict/ })
      await poll(() => verdict.getByRole('heading').first().textContent()).toBe('Verdict: denied')
      expect(await page.getByTestId('deciding-rule').textContent()).toBe(OWNER_RULE)
      expect(await page.getByTestId('deciding-rule').locator('mark').textContent()).toBe('auth != null')
      await screenshot(page, `${lane}-rules-denied`)
      await expectAccessible(page, 'rules: denied')

      await page.getByLabel('Document id (optional)').fill('n1')
      await page.getByRole('radio', { name: 'An existing user' }).check()
      await page.getByLabel('User email').fill('alice@')
      await page.getByRole('button', { name: 'Find user' }).click()
      await page.getByRole('radio', { name: new RegExp(ALICE) }).check()
      await page.getByText(`Simulating ${ALICE}`).waitFor()
      await page.getByRole('button', { name: 'Simulate', exact: true }).click()
      await poll(() => verdict.getByRole('heading').first().textContent()).toBe('Verdict: allowed')
      const bindings = page.getByRole('table', { name: 'Values the rule read' })
      await poll(() => bindings.getByRole('row').count()).toBeGreaterThanOrEqual(3)
      const text = (await bindings.textContent()) ?? ''
      expect(text).toContain('auth.uid')
      expect(text).toContain('doc.owner')
      expect(text).toContain(`"${alice}"`)
      await screenshot(page, `${lane}-rules-allowed`)
      await expectAccessible(page, 'rules: allowed')

      // The URL holds the question: opening it again gives the same verdict with no click.
      const url = page.url()
      expect(new URL(url).searchParams.get('uid')).toContain(alice)
      const again = await open('viewer', url.slice(t.url.length))
      const verdictAgain = again.getByRole('region', { name: /Verdict/ })
      await poll(() => verdictAgain.getByRole('heading').first().textContent()).toBe('Verdict: allowed')
      await again.getByRole('button', { name: 'Switch to dark theme' }).click()
      await poll(() => again.locator('html').getAttribute('data-theme')).toBe('dark')
      await screenshot(again, `${lane}-rules-allowed-dark`)
      await expectAccessible(again, 'rules: allowed (dark)')
      await again.close()

      // Custom claims: a made-up caller who is not the owner.
      await page.getByRole('radio', { name: 'Custom claims' }).check()
      await setEditor(page, 'Claims (JSON)', '{"sub": "someone-else"}')
      await page.getByRole('button', { name: 'Simulate', exact: true }).click()
      await poll(() => verdict.getByRole('heading').first().textContent()).toBe('Verdict: denied')
      expect(await page.getByTestId('deciding-rule').locator('mark').textContent()).toBe(
        'auth.uid == doc.owner',
      )
      await page.close()
    },
  )
})
