import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isPromise } from '../../core/maybe-promise.ts'
import type { FunctionsRouteDeps } from './deps.ts'

const invokeSchema = {
  tags: ['functions'],
  summary: "Invoke a function's HTTP trigger (any method; sub-paths are passed on as `path`)",
  params: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string' }, '*': { type: 'string' } },
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
 * /functions/v1/{name}[/{path…}]: runs the function synchronously in this process's sandbox pool and
 * answers with its result (JSON), or with the `{status, headers, body}` it returned.
 */
export async function invokeRoutes(app: FastifyInstance, deps: FunctionsRouteDeps): Promise<void> {
  // Functions accept any body: non-JSON bodies reach them as text.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, (body as Buffer).toString('utf8'))
  })

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as { name: string; '*'?: string }
    const ran = deps.invoker.invokeHttp(params.name, {
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
    })
    // No await for a run that settled inline: it would cost a turn of the event loop.
    const response = isPromise(ran) ? await ran : ran
    await checkPhase()
    reply.code(response.status).header('x-stratus-execution-id', response.executionId)
    for (const [key, value] of Object.entries(response.headers)) reply.header(key, value)
    if (response.body === undefined) return reply.send()
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
