import type { FastifyInstance } from 'fastify'

/** A dependency /ready checks. `check` rejects when the dependency cannot be reached. */
export interface HealthCheck {
  name: string
  check(): Promise<void>
}

const READY_TIMEOUT_MS = 2000

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** `/health`: the process is up. `/ready`: every dependency answers (each within 2 s). */
export async function healthRoutes(
  app: FastifyInstance,
  options: { checks: readonly HealthCheck[] },
): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is up',
        response: {
          200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
        },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Database, bus and storage are reachable',
        response: {
          '2xx': { $ref: 'Readiness#' },
          503: { $ref: 'Readiness#' },
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const results = await Promise.all(
        options.checks.map(async ({ name, check }) => {
          try {
            await withTimeout(check(), READY_TIMEOUT_MS)
            return [name, { status: 'ok' }] as const
          } catch (error) {
            return [name, { status: 'unavailable', error: (error as Error).message }] as const
          }
        }),
      )
      const ready = results.every(([, r]) => r.status === 'ok')
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) })
    },
  )
}
