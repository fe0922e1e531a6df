import { act, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { UploadList, useUploads } from './Uploader.tsx'
import { percent, uploadSummary, uploadsReducer } from './uploads.ts'

describe('uploadsReducer', () => {
  it('tracks progress that only grows, then completion', () => {
    let state = uploadsReducer([], { type: 'start', items: [{ id: 'u1', key: 'a.png', size: 1000 }] })
    expect(state[0]).toMatchObject({ status: 'uploading', loaded: 0 })
    state = uploadsReducer(state, { type: 'progress', id: 'u1', loaded: 400, total: 1000 })
    expect(percent(state[0]!)).toBe(40)
    // A late, smaller event (events can arrive out of order with retries) does not move it back.
    state = uploadsReducer(state, { type: 'progress', id: 'u1', loaded: 100, total: 1000 })
    expect(state[0]!.loaded).toBe(400)
    expect(uploadSummary(state)).toBe('Uploading 1 file: 40%')
    state = uploadsReducer(state, { type: 'done', id: 'u1' })
    expect(state[0]).toMatchObject({ status: 'done', loaded: 1000 })
    expect(percent(state[0]!)).toBe(100)
    // Nothing moves a finished upload.
    state = uploadsReducer(state, { type: 'failed', id: 'u1', error: 'late' })
    expect(state[0]!.status).toBe('done')
    expect(uploadSummary(state)).toBe('1 uploaded')
  })

  it('sums several uploads and keeps failures and cancellations apart', () => {
    let state = uploadsReducer([], {
      type: 'start',
      items: [
        { id: 'a', key: 'a', size: 100 },
        { id: 'b', key: 'b', size: 300 },
        { id: 'c', key: 'c', size: 0 },
      ],
    })
    state = uploadsReducer(state, { type: 'progress', id: 'a', loaded: 100, total: 100 })
    state = uploadsReducer(state, { type: 'progress', id: 'b', loaded: 100, total: 300 })
    expect(uploadSummary(state)).toBe('Uploading 3 files: 50%')
    state = uploadsReducer(state, { type: 'done', id: 'a' })
    state = uploadsReducer(state, { type: 'failed', id: 'b', error: 'storage/too-large' })
    state = uploadsReducer(state, { type: 'cancelled', id: 'c' })
    expect(uploadSummary(state)).toBe('1 uploaded, 1 failed, 1 cancelled')
    expect(uploadsReducer(state, { type: 'clear' })).toEqual([])
  })
})

/** Just enough XMLHttpRequest to drive upload events by hand. */
class FakeXhr {
  static last: FakeXhr | undefined
  method = ''
  url = ''
  headers: Record<string, string> = {}
  status = 0
  responseText = ''
  upload: {
    onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null
  } = {
    onprogress: null,
  }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  body: unknown
  constructor() {
    FakeXhr.last = this
  }
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value
  }
  send(body: unknown) {
    this.body = body
  }
  abort() {
    this.onabort?.()
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true })
  }
  respond(status: number, body: unknown) {
    this.status = status
    this.responseText = JSON.stringify(body)
    this.onload?.()
  }
}

function Harness({ files, onUploaded }: { files: File[]; onUploaded: () => void }) {
  const uploads = useUploads('media', onUploaded)
  return (
    <>
      <button
        type="button"
        onClick={() =>
          uploads.start(
            'pics/',
            files.map((file) => ({ file })),
          )
        }
      >
        start
      </button>
      <UploadList items={uploads.items} onCancel={uploads.cancel} onClear={uploads.clear} />
    </>
  )
}

describe('useUploads with UploadList', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('PUTs the file with its type and the CSRF header, and shows its progress to completion', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    // biome-ignore lint/suspicious/noDocumentCookie: the CSRF cookie the server sets, as the page reads it.
    document.cookie = 'stratus_csrf=csrf-value'
    const onUploaded = vi.fn()
    const file = new File(['x'.repeat(2000)], 'cat.png', { type: 'image/png' })
    render(<Harness files={[file]} onUploaded={onUploaded} />)
    await userEvent.click(screen.getByRole('button', { name: 'start' }))

    const xhr = FakeXhr.last!
    expect(xhr.method).toBe('PUT')
    expect(xhr.url).toBe('/admin/v1/app/storage/v1/object/media/pics/cat.png')
    expect(xhr.headers['content-type']).toBe('image/png')
    expect(xhr.headers['x-csrf-token']).toBe('csrf-value')
    expect(xhr.body).toBe(file)

    const bar = screen.getByRole('progressbar', { name: 'Upload of pics/cat.png' })
    expect(bar.getAttribute('value')).toBe('0')
    act(() => xhr.progress(500, 2000))
    expect(bar.getAttribute('value')).toBe('25')
    expect(screen.getByTestId('upload-summary').textContent).toBe('Uploading 1 file: 25%')
    act(() => xhr.progress(2000, 2000))
    await act(async () => {
      xhr.respond(200, { bucket: 'media', key: 'pics/cat.png', size: 2000 })
    })
    expect(bar.getAttribute('value')).toBe('100')
    expect(screen.getByText('Uploaded (2.0 KiB)')).toBeTruthy()
    expect(screen.getByTestId('upload-summary').textContent).toBe('1 uploaded')
    expect(onUploaded).toHaveBeenCalledOnce()
  })

  it('shows the server’s error code when an upload is refused, and cancels on request', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    render(<Harness files={[new File(['x'], 'big.bin')]} onUploaded={() => {}} />)
    await userEvent.click(screen.getByRole('button', { name: 'start' }))
    expect(FakeXhr.last!.headers['content-type']).toBe('application/octet-stream')
    await act(async () => {
      FakeXhr.last!.respond(413, { error: { code: 'storage/too-large', message: 'Too large' } })
    })
    expect(screen.getByText('Failed: Too large (storage/too-large)')).toBeTruthy()

    await userEvent.click(screen.getByRole('button', { name: 'start' }))
    await userEvent.click(screen.getByRole('button', { name: 'Cancel upload of pics/big.bin' }))
    expect(await screen.findByText('Cancelled')).toBeTruthy()
    expect(screen.getByTestId('upload-summary').textContent).toBe('0 uploaded, 1 failed, 1 cancelled')
  })
})
