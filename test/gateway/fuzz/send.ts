import http from 'node:http'
import type { FuzzRequest } from './requests.ts'

/** How a request ended: an HTTP status, no answer in time, or a connection the server dropped. */
export type Outcome =
  | { kind: 'answered'; status: number; body: string }
  | { kind: 'hang' }
  | { kind: 'dropped'; error: string }

/**
 * Sends `request` byte for byte with node:http (fetch refuses TRACE and re-encodes paths), with
 * `token` as its bearer, and waits at most `timeoutMs` for the whole answer.
 */
export function send(
  base: URL,
  request: FuzzRequest,
  token: string | undefined,
  agent: http.Agent,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'latin1')
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (request.contentType) headers['content-type'] = request.contentType
    if (body) headers['content-length'] = String(body.length)
    let settled = false
    const finish = (outcome: Outcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    let req: http.ClientRequest
    try {
      req = http.request(
        { host: base.hostname, port: base.port, method: request.method, path: request.path, headers, agent },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => {
            if (chunks.length < 64) chunks.push(chunk)
          })
          res.on('end', () =>
            finish({
              kind: 'answered',
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
            }),
          )
          res.on('error', (error) => finish({ kind: 'dropped', error: error.message }))
        },
      )
    } catch (error) {
      // node:http refused to send it (a path with characters it will not put on the wire): not a
      // server's fault, and nothing was sent.
      resolve({ kind: 'answered', status: 0, body: `not sent: ${(error as Error).message}` })
      return
    }
    const timer = setTimeout(() => {
      finish({ kind: 'hang' })
      req.destroy()
    }, timeoutMs)
    req.on('error', (error) => finish({ kind: 'dropped', error: error.message }))
    req.end(body)
  })
}
