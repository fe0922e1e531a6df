import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { LANES } from '../support/platform.ts'
import { RUN_BROWSER, useConsole } from './harness.ts'
import { dropFiles, type PageFile, stripedPng } from './page-files.ts'

const LOGO: PageFile = { name: 'logo.png', type: 'image/png', bytes: stripedPng() }
const DATA: PageFile = {
  name: 'data.json',
  type: 'application/json',
  bytes: Buffer.from(JSON.stringify({ hello: 'world', sizes: [1, 2, 3], nested: { ok: true } })),
}

/** The CSRF cookie's value, which a change made with the session cookie must echo. */
async function csrf(page: Page): Promise<string> {
  const cookies = await page.context().cookies()
  return cookies.find((cookie) => cookie.name === 'stratus_csrf')?.value ?? ''
}

describe.each(LANES)('console storage (%s lane)', (lane) => {
  const h = useConsole(lane)

  it.skipIf(!RUN_BROWSER)(
    'creates a bucket, uploads by drag-and-drop and file picker, browses folders, previews, signs, deletes',
    { timeout: 180_000 },
    async () => {
      const { open, screenshot, expectAccessible, t } = h()
      const page = await open('owner', '/console/storage')
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url })
      await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor()
      await page.getByText('No bucket yet.').waitFor()
      await screenshot(page, `${lane}-storage-empty`)
      await expectAccessible(page, 'storage (empty)')

      await page.getByLabel('Name').fill('media')
      await page.getByRole('button', { name: 'Create bucket' }).click()
      await page.getByRole('heading', { name: 'media', level: 1 }).waitFor()
      await page.getByText('This bucket is empty.').waitFor()
      await screenshot(page, `${lane}-storage-bucket-empty`)
      await expectAccessible(page, 'bucket (empty)')

      // Drag and drop two files onto the listing: both upload, with progress to 100%.
      await dropFiles(page, '[data-testid="drop-zone"]', [LOGO, DATA])
      await expect.poll(() => page.getByTestId('upload-summary').textContent()).toBe('2 uploaded')
      for (const name of ['logo.png', 'data.json']) {
        const bar = page.getByRole('progressbar', { name: `Upload of ${name}` })
        expect(await bar.getAttribute('value')).toBe('100')
      }
      await page.getByRole('button', { name: 'logo.png' }).waitFor()
      await page.getByRole('button', { name: 'data.json' }).waitFor()
      await screenshot(page, `${lane}-storage-dropped`)
      await expectAccessible(page, 'bucket (uploaded)')

      // A folder, and the file picker (the keyboard path) into it.
      await page.getByRole('button', { name: 'New folder' }).click()
      await page.getByLabel('Folder name').fill('docs')
      await page.getByRole('button', { name: 'Open folder' }).click()
      await page.getByText('This folder is empty.').waitFor()
      await page.getByLabel('Files to upload to media/docs/').setInputFiles([
        { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"todo":["ship it"]}') },
        { name: 'readme.txt', mimeType: 'text/plain', buffer: Buffer.from('Docs for the media bucket.\n') },
      ])
      // The upload list lives on while browsing: the two dropped before and these two.
      await expect.poll(() => page.getByTestId('upload-summary').textContent()).toBe('4 uploaded')
      await page.getByRole('button', { name: 'notes.json' }).waitFor()
      const crumbs = page.getByRole('navigation', { name: 'Folder path' })
      expect(await crumbs.getByRole('link').allTextContents()).toEqual(['media', 'docs'])
      await screenshot(page, `${lane}-storage-folder`)
      await expectAccessible(page, 'bucket (folder)')

      // Back to the root by the breadcrumb: the folder shows as one row, the files beside it.
      await crumbs.getByRole('link', { name: 'media' }).click()
      await page.getByRole('link', { name: 'docs/' }).waitFor()
      expect(await page.getByRole('button', { name: 'notes.json' }).count()).toBe(0)
      await page.getByRole('link', { name: 'docs/' }).click()
      await page.getByRole('button', { name: 'readme.txt' }).waitFor()
      await page.getByRole('link', { name: 'Up one folder' }).click()

      // Preview the image (bytes read with the session, shown from a blob: URL).
      await page.getByRole('button', { name: 'logo.png' }).click()
      const image = page.getByRole('img', { name: 'Preview of logo.png' })
      await image.waitFor()
      await expect
        .poll(() =>
          image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBe(160)
      expect(await image.getAttribute('src')).toMatch(/^blob:/)
      await screenshot(page, `${lane}-storage-preview-image`)
      await expectAccessible(page, 'object (image)')

      // Preview the JSON, pretty-printed.
      await page.getByRole('button', { name: 'data.json' }).click()
      const contents = page.getByLabel('Contents of data.json')
      await contents.waitFor()
      await expect.poll(() => contents.textContent()).toContain('"hello": "world"')
      await screenshot(page, `${lane}-storage-preview-json`)
      await expectAccessible(page, 'object (json)')

      // A signed URL: copied, and readable with no credentials at all.
      await page.getByRole('button', { name: 'Create signed URL' }).click()
      const signed = page.getByLabel(/^Signed URL \(works without credentials/)
      await signed.waitFor()
      const url = await signed.inputValue()
      expect(url).toContain('/storage/v1/object/media/data.json?')
      await page.getByRole('button', { name: 'Copy signed URL' }).click()
      await page.getByText('Copied', { exact: true }).waitFor()
      const copied = await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      )
      expect(copied).toBe(url)
      const anonymous = await fetch(url)
      expect(anonymous.status).toBe(200)
      expect(Buffer.from(await anonymous.arrayBuffer()).equals(DATA.bytes)).toBe(true)
      expect(await page.getByRole('link', { name: 'Open signed URL' }).getAttribute('href')).toBe(url)
      await screenshot(page, `${lane}-storage-signed-url`)

      // Download: an attachment, read with the session cookie.
      const href = await page.getByRole('link', { name: 'Download' }).getAttribute('href')
      const download = await page.context().request.get(new URL(href!, t.url).href)
      expect(download.status()).toBe(200)
      expect(download.headers()['content-disposition']).toMatch(/^attachment/)
      expect((await download.body()).equals(DATA.bytes)).toBe(true)

      // Delete, after confirming in a dialog; the listing says so and drops the row.
      await page.getByRole('button', { name: 'Delete', exact: true }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete data.json?' })
      await dialog.waitFor()
      await screenshot(page, `${lane}-storage-delete-confirm`)
      await expectAccessible(page, 'delete dialog')
      await dialog.getByRole('button', { name: 'Delete object' }).click()
      await page.getByText('Deleted data.json.').waitFor()
      await expect.poll(() => page.getByRole('button', { name: 'data.json' }).count()).toBe(0)
      const gone = await fetch(`${t.url}/storage/v1/object/media/data.json`, {
        headers: { authorization: `Bearer ${t.serviceKey}` },
      })
      expect(gone.status).toBe(404)

      // Settings: public, a rule, a size limit and types; saved and shown back.
      await page.getByRole('tab', { name: 'Settings' }).click()
      await page.getByLabel('Public: anyone may download objects by URL, without credentials').check()
      await page.getByLabel(/^Read rule/).fill('auth != null')
      await page.getByLabel('Max file size (MiB)').fill('5')
      await page.getByLabel('Allowed content types').fill('image/*, application/json, text/plain')
      await page.getByRole('button', { name: 'Save settings' }).click()
      await page.getByText(/^Saved at /).waitFor()
      const bucket = await h().service<{ public: boolean; rules: { read?: string }; maxFileSize: number }>(
        'GET',
        '/admin/v1/buckets/media',
      )
      expect(bucket).toMatchObject({
        public: true,
        rules: { read: 'auth != null' },
        maxFileSize: 5 * 1024 * 1024,
      })
      await screenshot(page, `${lane}-storage-settings`)
      await expectAccessible(page, 'bucket settings')

      // A rule that does not compile is refused with the server's message.
      await page.getByLabel(/^Write rule/).fill('auth.uid ==')
      await page.getByRole('button', { name: 'Save settings' }).click()
      await page.getByRole('alert').filter({ hasText: 'request/invalid' }).waitFor()

      // Dark theme: the object browser stays readable (axe checks contrast).
      await page.getByRole('tab', { name: 'Objects' }).click()
      await page.getByRole('button', { name: 'logo.png' }).click()
      await page.getByRole('img', { name: 'Preview of logo.png' }).waitFor()
      await page.getByRole('button', { name: 'Switch to dark theme' }).click()
      await screenshot(page, `${lane}-storage-dark`)
      await expectAccessible(page, 'bucket (dark)')

      // Deleting a bucket takes its name typed; a bucket with objects is refused, and the dialog says why.
      await page.getByRole('tab', { name: 'Settings' }).click()
      await page.getByRole('button', { name: 'Delete bucket' }).click()
      const refuse = page.getByRole('dialog', { name: 'Delete bucket media?' })
      await refuse.getByLabel('Type media to confirm').fill('media')
      await refuse.getByRole('button', { name: 'Delete bucket' }).click()
      await refuse.getByRole('alert').filter({ hasText: 'storage/bucket-not-empty' }).waitFor()
      await screenshot(page, `${lane}-storage-delete-bucket-refused`)
      await expectAccessible(page, 'delete bucket refused (dark)')
      await refuse.getByRole('button', { name: 'Cancel' }).click()

      await h().service('PUT', '/admin/v1/buckets/scratch', {})
      await page.goto(`${t.url}/console/storage/scratch?tab=settings`)
      await page.getByRole('button', { name: 'Delete bucket' }).click()
      const dialog2 = page.getByRole('dialog', { name: 'Delete bucket scratch?' })
      await dialog2.getByLabel('Type scratch to confirm').fill('scratch')
      await dialog2.getByRole('button', { name: 'Delete bucket' }).click()
      await page.getByText('Deleted bucket scratch.').waitFor()
      await page.getByRole('link', { name: 'media' }).waitFor()
      expect(await page.getByRole('link', { name: 'scratch' }).count()).toBe(0)
      await page.close()
    },
  )

  it.skipIf(!RUN_BROWSER)(
    'shows a viewer the objects without a way to change them, and the server refuses a viewer’s change',
    { timeout: 90_000 },
    async () => {
      const { open, screenshot, expectAccessible, service, t } = h()
      await service('PUT', '/admin/v1/buckets/viewer-bucket', {})
      await fetch(`${t.url}/storage/v1/object/viewer-bucket/hello.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'text/plain' },
        body: 'hello, viewer',
      })
      const page = await open('viewer', '/console/storage')
      await page.getByRole('link', { name: 'viewer-bucket' }).waitFor()
      expect(await page.getByRole('button', { name: 'Create bucket' }).count()).toBe(0)
      await page.getByText('You are a viewer').waitFor()
      await page.getByRole('link', { name: 'viewer-bucket' }).click()
      await page.getByRole('button', { name: 'hello.txt' }).click()
      await expect
        .poll(() => page.getByLabel('Contents of hello.txt').textContent())
        .toContain('hello, viewer')
      for (const name of ['Choose files…', 'New folder', 'Delete', 'Create signed URL'])
        expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0)
      await page.getByRole('link', { name: 'Download' }).waitFor()
      await screenshot(page, `${lane}-storage-viewer`)
      await expectAccessible(page, 'bucket (viewer)')

      await page.getByRole('tab', { name: 'Settings' }).click()
      await page.getByText('Viewers can read these settings').waitFor()
      expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0)
      expect(await page.getByRole('button', { name: 'Delete bucket' }).count()).toBe(0)
      await screenshot(page, `${lane}-storage-viewer-settings`)
      await expectAccessible(page, 'bucket settings (viewer)')

      // The server is the real guard: the viewer's session may not change the bucket or upload.
      const token = await csrf(page)
      const put = await page.context().request.put(`${t.url}/admin/v1/buckets/viewer-bucket`, {
        headers: { 'x-csrf-token': token },
        data: { public: true },
      })
      expect(put.status()).toBe(403)
      expect((await put.json()).error.code).toBe('auth/forbidden')
      const upload = await page
        .context()
        .request.put(`${t.url}/admin/v1/app/storage/v1/object/viewer-bucket/nope.txt`, {
          headers: { 'x-csrf-token': token, 'content-type': 'text/plain' },
          data: 'nope',
        })
      expect(upload.status()).toBe(403)
      await page.close()
    },
  )
})
