import { chmodSync, rmSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { isStratusError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

/**
 * The local control socket: how `stratus keys` and `stratus admin …` reach a running server that holds
 * the embedded database (PGlite takes one process at a time, so the CLI cannot open it beside the
 * server). A Unix domain socket in the data directory, mode 0600, so only the user who owns the data
 * directory (who could read the database files anyway) may talk to it.
 *
 * Protocol: the client writes one JSON line `{"command": "...", "args": {...}}`; the server answers one
 * JSON line, `{"ok": true, "result": ...}` or `{"ok": false, "error": {"code", "message"}}`, and closes.
 * Only the fixed commands the server was given exist; anything else is refused.
 */

/** Where the control socket of the process owning `dataDir` listens. */
export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'control.sock')
}

/** A command: its arguments arrive as parsed JSON (check them); its result is sent back as JSON. */
export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown>

/** A listening control socket. */
export interface ControlServer {
  close(): Promise<void>
}

// A request is a few hundred bytes; anything near this is not a client of ours.
const MAX_REQUEST_BYTES = 64 * 1024
const IDLE_TIMEOUT_MS = 10_000

/** An answer from the other end that says the command failed. */
export class ControlError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'ControlError'
    this.code = code
  }
}

/**
 * Listens on `socketPath` (a stale file from a process that died is replaced: the caller holds the data
 * directory's lock, so no live server owns it) and serves `handlers`.
 */
export async function listenControlSocket(
  socketPath: string,
  handlers: Readonly<Record<string, ControlHandler>>,
  logger: Logger,
): Promise<ControlServer> {
  rmSync(socketPath, { force: true })
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy())
    socket.on('error', () => socket.destroy())
    let buffer = ''
    let answered = false
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      if (answered) return
      buffer += chunk
      const newline = buffer.indexOf('\n')
      if (newline < 0 && buffer.length <= MAX_REQUEST_BYTES) return
      answered = true
      const reply = (body: unknown) => socket.end(`${JSON.stringify(body)}\n`)
      if (newline < 0)
        return reply({ ok: false, error: { code: 'request/too-large', message: 'request too large' } })
      serve(buffer.slice(0, newline), handlers).then(reply, (error: unknown) => {
        const known = isStratusError(error)
        if (!known) logger.error({ err: error }, 'control socket command failed')
        reply({
          ok: false,
          error: known
            ? { code: error.code, message: error.message }
            : { code: 'internal', message: (error as Error).message ?? 'failed' },
        })
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Before the first client can have read the path from the data directory in practice; the directory
  // is the owner's, and the database files beside the socket are as sensitive as what it serves.
  chmodSync(socketPath, 0o600)
  server.unref()
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          rmSync(socketPath, { force: true })
          resolve()
        })
      }),
  }
}

async function serve(line: string, handlers: Readonly<Record<string, ControlHandler>>): Promise<unknown> {
  let request: unknown
  try {
    request = JSON.parse(line)
  } catch {
    return { ok: false, error: { code: 'request/invalid', message: 'the request is not JSON' } }
  }
  const { command, args } = (request ?? {}) as { command?: unknown; args?: unknown }
  const handler =
    typeof command === 'string' && Object.hasOwn(handlers, command) ? handlers[command] : undefined
  if (!handler)
    return { ok: false, error: { code: 'request/not-found', message: `unknown command ${String(command)}` } }
  const parsedArgs =
    args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {}
  return { ok: true, result: await handler(parsedArgs) }
}

/**
 * Sends `command` to the server on `socketPath`. Resolves `{ answered: false }` when no server listens
 * there (no socket file, or a stale one), so the caller can open the database itself; rejects with a
 * `ControlError` when the server ran the command and it failed.
 */
export function callControlSocket(
  socketPath: string,
  command: string,
  args: Record<string, unknown> = {},
  timeoutMs = 30_000,
): Promise<{ answered: false } | { answered: true; result: unknown }> {
  return new Promise((resolve, reject) => {
    let connected = false
    let data = ''
    const socket = net.createConnection(socketPath)
    socket.setEncoding('utf8')
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      reject(new Error(`the server on ${socketPath} did not answer within ${timeoutMs} ms`))
    })
    socket.on('connect', () => {
      connected = true
      socket.write(`${JSON.stringify({ command, args })}\n`)
    })
    socket.on('data', (chunk: string) => {
      data += chunk
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED'))
        resolve({ answered: false })
      else reject(error)
    })
    socket.on('end', () => {
      let answer: { ok?: boolean; result?: unknown; error?: { code?: string; message?: string } }
      try {
        answer = JSON.parse(data)
      } catch {
        return reject(new Error(`the server on ${socketPath} sent an unreadable answer`))
      }
      if (answer.ok) resolve({ answered: true, result: answer.result })
      else
        reject(
          new ControlError(answer.error?.code ?? 'internal', answer.error?.message ?? 'the command failed'),
        )
    })
  })
}
