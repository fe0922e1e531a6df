import { pipeline, Transform } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isPromise } from '../../core/maybe-promise.ts'
import type { HttpRequestMeta } from '../model.ts'
import type { FunctionsRouteDeps } from './deps.ts'

const invokeSchema = {
  tags: ['functions'],
  summary: "Invoke a function's HTTP trigger (any method, QUERY too; sub-paths are passed on as `path`)",
  description:
    'A default export gets an `http.request` CloudEvent and answers with its result as JSON, or the `{status, headers, body}` it returned. A portable (Lambda-style) handler gets an API Gateway REST proxy event of the request as received and answers with its proxy response; any other result is 502 `functions/malformed-response`. A throw is 500 `functions/failed`, a timeout 504 `functions/timeout`.',
  params: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      // The title names the wildcard in the OpenAPI document (`{path}`).
      '*': { type: 'string', title: 'path', description: 'the rest of the path, given to the function' },
    },
  },
} as const

let afterPoll: Promise<void> | undefined

/**
 * Resolves in this event-loop turn's check phase, once every request read in its poll phase has run.
 * Invocations answer from there, together: under load, a turn's responses then go out back to back and
 * wake each client once per burst instead of once per response (a warm call's own CPU is small next to
 * the kernel's cost of waking the peer per write: this was ~15% more calls/s on two cores). When idle,
 * the check phase follows at once.
 */
function checkPhase(): Promise<void> {
  afterPoll ??= new Promise((resolve) =>
    setImmediate(() => {
      afterPoll = undefined
      resolve()
    }),
  )
  return afterPoll
}

/**
 * The bytes of a request's body as they stream into the body parser, kept for a portable handler,
 * whose proxy event carries the body as received (a webhook's signature is over those bytes), not as
 * parsed. Keeping them costs references to the chunks the parser reads anyway; the parser still
 * enforces the body limit.
 */
function keepBody(
  request: FastifyRequest,
  payload: NodeJS.ReadableStream,
  kept: WeakMap<FastifyRequest, Buffer[]>,
) {
  const chunks: Buffer[] = []
  kept.set(request, chunks)
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      done(null, chunk)
    },
  })
  // Errors (a client that went away) reach the parser through the tee, which answers 400 as before.
  pipeline(payload, tee, () => {})
  return tee
}

/** What a portable handler's event needs beyond the request data: see HttpRequestMeta. */
function requestMeta(request: FastifyRequest, chunks: Buffer[] | undefined): HttpRequestMeta {
  return {
    sourceIp: request.ip,
    rawHeaders: request.raw.rawHeaders,
    url: request.url,
    protocol: `HTTP/${request.raw.httpVersion}`,
    ...(chunks ? { body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) } : {}),
  }
}

/**
 * /functions/v1/{name}[/{path…}]: runs the function synchronously in this process's sandbox pool and
 * answers with its result (JSON), or with the `{status, headers, body}` it returned. A portable
 * handler gets the request as received (see keepBody) and answers with its proxy response.
 */
export async function invokeRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  // Functions accept any body: non-JSON bodies reach them as text.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, (body as Buffer).toString('utf8'))
  })

  const kept = new WeakMap<FastifyRequest, Buffer[]>()
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const params = request.params as { name?: string }
    const hasBody =
      request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined
    if (!hasBody || params.name === undefined || deps.invoker.isPortable(params.name) === false) {
      return done(null, payload)
    }
    done(null, keepBody(request, payload, kept))
  })

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as { name: string; '*'?: string }
    // A function this process does not know yet (deployed a moment ago through another node) may be
    // portable: what its event needs is kept for it too.
    const meta =
      deps.invoker.isPortable(params.name) !== false ? requestMeta(request, kept.get(request)) : undefined
    const ran = deps.invoker.invokeHttp(
      params.name,
      {
        method: request.method,
        path: `/${params['*'] ?? ''}`,
        headers: request.headers,
        query: (request.query ?? {}) as Record<string, unknown>,
        body: request.body ?? null,
        auth: request.auth
          ? {
              uid: request.auth.uid,
              role: request.auth.role,
              email: request.auth.email,
              claims: request.auth.claims,
            }
          : null,
      },
      meta,
    )
    // No await for a run that settled inline: it would cost a turn of the event loop.
    const response = isPromise(ran) ? await ran : ran
    await checkPhase()
    reply.code(response.status).header('x-stratus-execution-id', response.executionId)
    for (const [key, value] of Object.entries(response.headers)) reply.header(key, value)
    if (response.body === undefined) return reply.send()
    if (response.body instanceof Uint8Array) return reply.send(response.body)
    if (typeof response.body === 'string' && !response.json) {
      if (!reply.hasHeader('content-type')) reply.type('text/plain; charset=utf-8')
      return reply.send(response.body)
    }
    if (!reply.hasHeader('content-type')) reply.type('application/json; charset=utf-8')
    return reply.send(JSON.stringify(response.body))
  }

  app.all('/:name', { schema: invokeSchema }, handler)
  app.all('/:name/*', { schema: invokeSchema }, handler)
}
