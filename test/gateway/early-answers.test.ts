import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DRAIN_MAX_BYTES } from '../../services/gateway/plugins/bounded-drain.ts'
import { LANES, startTestPlatform, type TestPlatform } from '../support/platform.ts'

// A request refused before its body is read (too large) must still get its answer: the server drains
// the rest of the body, up to a bound, before it closes, as nginx's lingering close does. Without it,
// Node's fetch, still writing, sees EPIPE/ECONNRESET instead of the 413.
const TRIES = 50

describe.each(LANES)('early answers reach the client (%s lane)', (lane) => {
  let t: TestPlatform
  beforeAll(async () => {
    t = await startTestPlatform(lane, { BODY_LIMIT_BYTES: String(64 * 1024) })
    const res = await fetch(`${t.url}/admin/v1/buckets/small`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ maxFileSize: 1024 }),
    })
    expect(res.ok).toBe(true)
  })
  afterAll(async () => {
    await t?.close()
  })

  async function codeOf(res: Response): Promise<string> {
    return ((await res.json()) as { error: { code: string } }).error.code
  }

  it(`answers ${TRIES} oversized JSON bodies in a row with 413 request/too-large`, async () => {
    const body = JSON.stringify({ data: { blob: 'x'.repeat(4 * 1024 * 1024) } })
    const outcomes: string[] = []
    for (let i = 0; i < TRIES; i++) {
      try {
        const res = await fetch(`${t.url}/db/v1/collections/big/documents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'application/json' },
          body,
        })
        outcomes.push(`${res.status} ${await codeOf(res)}`)
      } catch (error) {
        outcomes.push(
          `failed: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
        )
      }
    }
    expect(outcomes.filter((o) => o !== '413 request/too-large')).toEqual([])
  })

  it(`answers ${TRIES} uploads over the bucket's maxFileSize in a row with 413 storage/too-large`, async () => {
    const bytes = new Uint8Array(4 * 1024 * 1024)
    const outcomes: string[] = []
    for (let i = 0; i < TRIES; i++) {
      try {
        const res = await fetch(`${t.url}/storage/v1/object/small/file-${i}.bin`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${t.serviceKey}`, 'content-type': 'application/octet-stream' },
          body: bytes,
        })
        outcomes.push(`${res.status} ${await codeOf(res)}`)
      } catch (error) {
        outcomes.push(
          `failed: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
        )
      }
    }
    expect(outcomes.filter((o) => o !== '413 storage/too-large')).toEqual([])
  })

  it.each([
    ['an upload', 'PUT /storage/v1/object/small/huge.bin', 'application/octet-stream', 'storage/too-large'],
    ['a JSON body', 'POST /db/v1/collections/big/documents', 'application/json', 'request/too-large'],
  ])(
    'stops draining %s refused as too large after a bound, and closes the connection',
    async (_what, line, type, code) => {
      const url = new URL(t.url)
      const total = 4 * DRAIN_MAX_BYTES
      const result = await new Promise<{ answer: string; written: number }>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname)
        let answer = ''
        let written = 0
        const chunk = Buffer.alloc(256 * 1024)
        socket.on('data', (data) => {
          answer += data.toString('latin1')
        })
        socket.on('error', () => {})
        socket.on('close', () => resolve({ answer, written }))
        socket.on('connect', () => {
          socket.write(
            `${line} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${t.serviceKey}\r\ncontent-type: ${type}\r\ncontent-length: ${total}\r\n\r\n`,
          )
          const pump = () => {
            while (written < total && !socket.destroyed) {
              written += chunk.length
              if (!socket.write(chunk)) return void socket.once('drain', pump)
            }
          }
          pump()
        })
        setTimeout(() => reject(new Error('the server kept the connection open')), 60_000).unref()
      })
      expect(result.answer).toMatch(/^HTTP\/1\.1 413/)
      expect(result.answer).toContain(code)
      expect(result.answer).not.toMatch(/^connection: close/im)
      // The server read past the answer (the client could finish writing it), up to the bound.
      expect(result.written).toBeGreaterThan(DRAIN_MAX_BYTES / 2)
      expect(result.written).toBeLessThan(total)
    },
    90_000,
  )

  it('closes the socket of a WebSocket upgrade it refused over HTTP, so a shutdown never waits on it', async () => {
    // A raw client that never closes on its own: only the server can end this connection.
    const { port } = new URL(t.url)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.write(
      [
        'GET /realtime/v1 HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Authorization: Bearer not-a-token',
        '',
        '',
      ].join('\r\n'),
    )
    const outcome = await Promise.race([
      closed.then(() => 'closed by the server'),
      new Promise((resolve) => setTimeout(() => resolve('still open after 5 s'), 5000)),
    ])
    socket.destroy()
    expect(outcome).toBe('closed by the server')
    expect(answer).toMatch(/^HTTP\/1\.1 401 /)
    expect(answer).toContain('auth/unauthenticated')
  })
})
