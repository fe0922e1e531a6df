import { expect } from 'vitest'
import WebSocket from 'ws'

/** A frame as the server sends it (loosely typed: tests read nested fields and assert on them). */
// biome-ignore lint/suspicious/noExplicitAny: test frames are asserted on, field by field
export type Frame = Record<string, any>

/**
 * A test client of `/realtime/v1`: records every frame, and waits on frames (never on time).
 */
export class RealtimeClient {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  /** How the connection closed, once it has. */
  closeInfo?: { code: number; reason: string }
  private waiters: (() => void)[] = []
  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)))
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) }
        resolve(this.closeInfo)
        for (const wake of this.waiters.splice(0)) wake()
      })
    })
  }

  /** Connects to `baseUrl` (http://…), optionally with `?access_token=`. */
  static async connect(
    baseUrl: string,
    token?: string,
    options: WebSocket.ClientOptions = {},
  ): Promise<RealtimeClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/realtime/v1${token ? `?access_token=${encodeURIComponent(token)}` : ''}`
    const ws = new WebSocket(url, options)
    const client = new RealtimeClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return client
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The first frame (from index `from` on) that satisfies `match`, waiting up to `timeoutMs`. */
  async next(match: (frame: Frame) => boolean, timeoutMs = 10_000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.frames.slice(from).find(match)
      if (found) return found
      if (this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(
          `connection closed (${JSON.stringify(this.closeInfo)}) while waiting; frames: ${JSON.stringify(this.frames).slice(0, 500)}`,
        )
      }
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `timed out waiting for a frame; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`,
        )
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Subscribes and waits for `subscribed` (or returns the error frame). */
  async subscribe(frame: Frame): Promise<Frame> {
    const from = this.frames.length
    this.send({ type: 'subscribe', ...frame })
    return this.next(
      (f) => f.id === frame.id && (f.type === 'subscribed' || f.type === 'error'),
      10_000,
      from,
    )
  }

  /** Change frames of subscription `id`. */
  changes(id: string): Frame[] {
    return this.frames.filter((f) => f.type === 'change' && f.id === id)
  }

  /** Waits until subscription `id` has received `count` changes. */
  async waitChanges(id: string, count: number, timeoutMs = 10_000): Promise<Frame[]> {
    await this.next(() => this.changes(id).length >= count, timeoutMs)
    return this.changes(id)
  }

  /** Sends a ping and waits for its pong: every frame sent before has been handled. */
  async roundTrip(): Promise<void> {
    const from = this.frames.length
    this.send({ type: 'ping' })
    await this.next((f) => f.type === 'pong', 10_000, from)
  }

  close(): void {
    this.ws.close()
  }
}

/** Asserts a frame is an error frame with `code`. */
export function expectError(frame: Frame, code: string): void {
  expect(frame, JSON.stringify(frame)).toMatchObject({ type: 'error', error: { code } })
}
