import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpClient } from './http.js'
import { createClient, StratusError } from './index.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

let server: Server
let baseUrl: string

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      data += chunk
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req)
    const path = (req.url ?? '/').split('?')[0]
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(value))
    }
    switch (path) {
      case '/echo': {
        const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
        return json(200, seen)
      }
      case '/db/v1/collections/posts/documents/missing':
        return json(404, {
          error: {
            code: 'db/not-found',
            message: 'Document posts/missing does not exist',
            details: { id: 'missing' },
          },
        })
      case '/auth/v1/signup':
        return json(409, { error: { code: 'auth/email-taken', message: 'That email is already registered' } })
      case '/empty':
        res.writeHead(204)
        return res.end()
      case '/proxy-error':
        res.writeHead(502, { 'content-type': 'text/html' })
        return res.end('<html><body>Bad Gateway</body></html>')
      case '/not-json':
        res.writeHead(200, { 'content-type': 'text/plain' })
        return res.end('hello')
      default:
        return json(404, { error: { code: 'request/not-found', message: `No route ${path}` } })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
})

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<StratusError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StratusError)
    return error as StratusError
  }
  throw new Error('expected the request to fail')
}

describe('HttpClient', () => {
  it('sends no Authorization header while no token is set', async () => {
    const http = new HttpClient({ baseUrl })
    const seen = await http.get<Seen>('/echo')
    expect(seen.method).toBe('GET')
    expect(seen.headers.authorization).toBeUndefined()
    expect(seen.headers.accept).toBe('application/json')
  })

  it('attaches the bearer token once set, and drops it once cleared', async () => {
    const http = new HttpClient({ baseUrl })
    http.setAccessToken('token-123')
    expect((await http.get<Seen>('/echo')).headers.authorization).toBe('Bearer token-123')
    http.setAccessToken(null)
    expect((await http.get<Seen>('/echo')).headers.authorization).toBeUndefined()
  })

  it('sends bodies as JSON and serialises the query, leaving out empty values', async () => {
    const http = new HttpClient({ baseUrl: `${baseUrl}/` })
    const seen = await http.post<Seen>(
      '/echo',
      { title: 'hi', tags: ['a'] },
      { query: { limit: 10, cursor: undefined, where: '[["a","==",1]]', skip: null } },
    )
    expect(seen.method).toBe('POST')
    expect(seen.headers['content-type']).toBe('application/json')
    expect(JSON.parse(seen.body)).toEqual({ title: 'hi', tags: ['a'] })
    const url = new URL(seen.url, baseUrl)
    expect(url.pathname).toBe('/echo')
    expect([...url.searchParams.keys()]).toEqual(['limit', 'where'])
    expect(url.searchParams.get('where')).toBe('[["a","==",1]]')
  })

  it('turns the error envelope into a StratusError with code, status, message and details', async () => {
    const http = new HttpClient({ baseUrl })
    const error = await rejection(http.get('/db/v1/collections/posts/documents/missing'))
    expect(error.name).toBe('StratusError')
    expect(error.code).toBe('db/not-found')
    expect(error.status).toBe(404)
    expect(error.message).toBe('Document posts/missing does not exist')
    expect(error.details).toEqual({ id: 'missing' })

    const taken = await rejection(http.post('/auth/v1/signup', { email: 'a@b.c', password: 'long-enough' }))
    expect(taken.code).toBe('auth/email-taken')
    expect(taken.status).toBe(409)
    expect(taken.details).toBeUndefined()
  })

  it('reports a non-envelope error response as network/invalid-response with its status', async () => {
    const http = new HttpClient({ baseUrl })
    const error = await rejection(http.get('/proxy-error'))
    expect(error.code).toBe('network/invalid-response')
    expect(error.status).toBe(502)
    expect(error.details).toEqual({ body: '<html><body>Bad Gateway</body></html>' })
  })

  it('resolves an empty answer with undefined and rejects a non-JSON success body', async () => {
    const http = new HttpClient({ baseUrl })
    await expect(http.delete('/empty')).resolves.toBeUndefined()
    const error = await rejection(http.get('/not-json'))
    expect(error.code).toBe('network/invalid-response')
    expect(error.status).toBe(200)
  })

  it('maps a refused connection to network/unreachable with status 0', async () => {
    // A port that was just free: bind, note it, close.
    const spare = createServer()
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve))
    const port = (spare.address() as AddressInfo).port
    await new Promise<void>((resolve) => spare.close(() => resolve()))

    const http = new HttpClient({ baseUrl: `http://127.0.0.1:${port}` })
    const error = await rejection(http.get('/health'))
    expect(error.code).toBe('network/unreachable')
    expect(error.status).toBe(0)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('maps an aborted request to network/aborted', async () => {
    const http = new HttpClient({ baseUrl })
    const controller = new AbortController()
    controller.abort()
    const error = await rejection(http.get('/echo', { signal: controller.signal }))
    expect(error.code).toBe('network/aborted')
    expect(error.status).toBe(0)
  })
})

describe('createClient', () => {
  it('sends the fixed access token given in its options with every request', async () => {
    const client = createClient(baseUrl, { accessToken: 'service-key', headers: { 'x-app': 'demo' } })
    const seen = await client.http.get<Seen>('/echo')
    expect(seen.headers.authorization).toBe('Bearer service-key')
    expect(seen.headers['x-app']).toBe('demo')
  })

  it('sends no authorization header while signed out', async () => {
    const client = createClient(baseUrl, { persistSession: false })
    const seen = await client.http.get<Seen>('/echo')
    expect(seen.headers.authorization).toBeUndefined()
  })

  it('rejects an empty URL', () => {
    expect(() => createClient('')).toThrow(TypeError)
  })
})
