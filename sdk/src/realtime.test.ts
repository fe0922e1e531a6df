import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from './client.js'
import type { StratusError } from './errors.js'
import type { WebSocketLike } from './realtime.js'

/** A WebSocket that records the URLs it was opened with and never connects. */
function recordingSocket(urls: string[]) {
  return class implements WebSocketLike {
    readyState = 0
    onopen = null
    onmessage = null
    onclose = null
    onerror = null
    constructor(url: string) {
      urls.push(url)
    }
    send(): void {}
    close(): void {}
  }
}

describe('realtime URL', () => {
  const globals = globalThis as { location?: unknown }
  afterEach(() => {
    delete globals.location
  })

  it('resolves a same-origin API path against the page location, as wss for https', async () => {
    globals.location = { href: 'https://app.example/dashboard/page' }
    const urls: string[] = []
    const app = createClient('/api', { persistSession: false, WebSocket: recordingSocket(urls) })
    const stop = app.db.collection('posts').onSnapshot(() => undefined)
    await expect.poll(() => urls).toEqual(['wss://app.example/api/realtime/v1'])
    stop()
    app.close()
  })

  it('reports a relative API path with no page to resolve it to the listener, once', async () => {
    const app = createClient('/api', { persistSession: false, WebSocket: recordingSocket([]) })
    const error = await new Promise<StratusError>((resolve) => {
      app.db.collection('posts').onSnapshot(
        () => undefined,
        (e) => resolve(e),
      )
    })
    expect(error.code).toBe('realtime/invalid-url')
    app.close()
  })
})
