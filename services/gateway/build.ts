import '@fastify/swagger'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import type { SigningKeys } from '../auth/signing-keys.ts'
import type { Config } from '../core/config.ts'
import { newId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import { installErrorHandling, sendError } from './errors.ts'
import { identityPlugin, requireService } from './plugins/identity.ts'
import { metricsPlugin, type ScrapeCollector } from './plugins/metrics.ts'
import { type HealthCheck, healthRoutes } from './routes/health.ts'

/** What the gateway needs: built by the composition root (services/platform.ts), or by a test. */
export interface GatewayDeps {
  config: Pick<Config, 'server'>
  logger: Logger
  metrics: Metrics
  keys: SigningKeys
  /** Dependencies /ready checks. */
  checks: readonly HealthCheck[]
  /** Refreshed on each /metrics scrape. */
  collectors?: readonly ScrapeCollector[]
  /** Public service routes, each mounted at its prefix (e.g. `/auth/v1`). */
  services?: readonly { prefix: string; routes: FastifyPluginAsync }[]
  /** Admin routes, mounted under `/admin/v1` behind the service-key check. */
  admin?: readonly FastifyPluginAsync[]
}

/**
 * Builds the HTTP gateway without listening (tests use `inject` or listen on port 0): plugins, the
 * identity hook, the error envelope, operations routes, then each service's routes.
 */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const { server } = deps.config
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: server.bodyLimit,
    trustProxy: server.trustProxy,
    genReqId: () => newId(),
    requestIdHeader: false,
    // Let in-flight requests finish on close, and drop idle keep-alive sockets so close is prompt.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  })

  installErrorHandling(app)
  app.addSchema({
    $id: 'Error',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      },
    },
  })
  app.addSchema({
    $id: 'Readiness',
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      checks: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['status'],
          properties: { status: { type: 'string' }, error: { type: 'string' } },
        },
      },
    },
  })

  await app.register(swagger, {
    // Name shared schemas by their $id (Error, Readiness…) rather than def-N in the OpenAPI document.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Stratus', version: '1', description: 'The Stratus HTTP contract (see API.md).' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(helmet, {
    // JSON APIs need no CSP; the docs page and the console set what they need.
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  })
  await app.register(cors, {
    origin: server.corsOrigins.includes('*') ? true : [...server.corsOrigins],
    credentials: !server.corsOrigins.includes('*'),
    exposedHeaders: ['etag', 'content-range', 'accept-ranges', 'x-request-id'],
    maxAge: 600,
  })
  await app.register(metricsPlugin, { metrics: deps.metrics, collectors: deps.collectors ?? [] })
  await app.register(identityPlugin, { keys: deps.keys })
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  await app.register(healthRoutes, { checks: deps.checks })
  for (const service of deps.services ?? []) await app.register(service.routes, { prefix: service.prefix })
  await app.register(
    async (admin) => {
      admin.addHook('preHandler', requireService)
      // Unknown admin paths answer 401/403 to callers without the key, too: no probing the admin API.
      admin.setNotFoundHandler({ preHandler: requireService }, (request, reply) =>
        sendError(reply, 'request/not-found', `No route for ${request.method} ${request.url.split('?')[0]}`),
      )
      for (const routes of deps.admin ?? []) await admin.register(routes)
    },
    { prefix: '/admin/v1' },
  )
  return app
}
