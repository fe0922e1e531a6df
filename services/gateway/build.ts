import '@fastify/swagger'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type RouteOptions,
} from 'fastify'
import type { Redis } from 'ioredis'
import { type ApiKeyPrincipal, isApiKey } from '../admin/api-keys.ts'
import type { SigningKeys } from '../auth/signing-keys.ts'
import type { Config } from '../core/config.ts'
import { StratusError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import { sendError } from '../http/send-error.ts'
import { admitApiKey } from './api-key-access.ts'
import { answerError, installErrorHandling } from './errors.ts'
import { SECURITY_SCHEMES, transformDocument, transformRoute } from './openapi.ts'
import { type AdminGuardPort, admitUnknownRoute, installAdminGuard } from './plugins/admin-guard.ts'
import { boundedDrainPlugin } from './plugins/bounded-drain.ts'
import { installFiniteNumbers } from './plugins/finite-numbers.ts'
import { identityPlugin } from './plugins/identity.ts'
import { metricsPlugin, type ResponseObserver, type ScrapeCollector } from './plugins/metrics.ts'
import { securityHeadersPlugin } from './plugins/security-headers.ts'
import {
  ensureTraceHeader,
  type TracingOptions,
  tracedChildLogger,
  tracingPlugin,
} from './plugins/tracing.ts'
import { consoleRoutes } from './routes/console.ts'
import { type HealthCheck, healthRoutes } from './routes/health.ts'
import { refuseLoneSurrogates } from './unstorable-text.ts'

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
  /** Told of every response (the per-minute rollups' request counts and latency). */
  onResponse?: ResponseObserver
  /** Where request spans go: the trace API's rows (requests that wrote events), an exporter. */
  tracing?: TracingOptions
  /** Public service routes, each mounted at its prefix (e.g. `/auth/v1`). */
  services?: readonly { prefix: string; routes: FastifyPluginAsync }[]
  /** Admin routes, mounted under `/admin/v1` behind the admin guard (service key or admin session). */
  admin?: readonly FastifyPluginAsync[]
  /**
   * The app API for admins: data-plane routes (documents, storage, functions, queue) mounted a second
   * time at `/admin/v1/app<prefix>` behind the admin guard, where an admin acts as an `admin` principal
   * that bypasses rules. Left out of the OpenAPI document: they mirror the public routes.
   */
  adminApp?: readonly { prefix: string; routes: FastifyPluginAsync }[]
  /**
   * Admin accounts: sessions the guard accepts besides the service key, and the audit log it writes.
   * Absent: only the service key is admitted and nothing is audited.
   */
  admins?: AdminGuardPort & { isAdminToken: (token: string) => boolean }
  /**
   * Scoped API keys (`sk_…`), accepted as bearer tokens wherever the service key is, within their
   * scopes (see api-key-access.ts). Absent: none accepted.
   */
  apiKeys?: { verify(token: string): Promise<ApiKeyPrincipal> }
  /**
   * Where routes' rate-limit counters live (routes opt in with `config.rateLimit`): a Redis client,
   * so limits hold across nodes, or in-process when absent. `prefix` namespaces the keys.
   */
  rateLimit?: { redis?: Redis; prefix: string }
  /** The built admin console (console/dist), served at /console/; absent = no console routes. */
  consoleDir?: string
}

const OPENAPI_DESCRIPTION =
  'The Stratus HTTP contract (see API.md). Admin console sessions reach the app API under ' +
  '`/admin/v1/app`: `/admin/v1/app/db/v1/…`, `/admin/v1/app/storage/v1/…`, `/admin/v1/app/functions/v1/…` ' +
  'and `/admin/v1/app/queue/v1/…` answer exactly as the public routes of the same path after the prefix ' +
  '(not listed again here), for an admin token, the console cookie (with `x-csrf-token` on changes) or ' +
  'the service key. The caller acts above collection and bucket rules; viewers may only read, invoking ' +
  'functions takes a developer or an owner, and every change is audited.'

/** Keeps a mirrored route out of /openapi.json (a copy of its schema: the public route shares the object). */
function hideFromOpenApi(route: RouteOptions): void {
  route.schema = { ...(route.schema ?? {}), hide: true }
}

/**
 * Request ids: a random per-gateway prefix and a counter, unique across nodes and restarts without a
 * random draw per request (which cost a quarter of GET /health throughput in the gateway benchmark).
 */
function requestIds(): () => string {
  const prefix = newId().slice(0, 10)
  let counter = 0
  return () => `${prefix}${(counter++).toString(36).padStart(6, '0')}`
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
    genReqId: requestIds(),
    // Starts each request's trace and puts its id in the request's log lines.
    childLoggerFactory: tracedChildLogger,
    // Path parameters up to 1 KiB (find-my-way's default, 100, answers 414 to a 128-character document id).
    routerOptions: { maxParamLength: 1024 },
    requestIdHeader: false,
    // Let in-flight requests finish on close, and drop idle keep-alive sockets so close is prompt.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    // Errors raised before a request reaches a route skip the hooks: they still answer a traceparent.
    frameworkErrors: (error, request, reply) => {
      ensureTraceHeader(request, reply)
      return answerError(error, request, reply)
    },
  })

  // First, so that every answer carries its traceparent, whichever hook or route ends the request.
  await app.register(tracingPlugin, deps.tracing ?? {})
  installErrorHandling(app)
  installFiniteNumbers(app)
  refuseLoneSurrogates(app)
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
      info: {
        title: 'Stratus',
        version: '1',
        description: OPENAPI_DESCRIPTION,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative: the document describes the server that serves it, whatever its public address.
      servers: [{ url: '/', description: 'The server that published this document' }],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: transformRoute,
    transformObject: transformDocument,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(securityHeadersPlugin)
  await app.register(boundedDrainPlugin)
  await app.register(cors, {
    origin: server.corsOrigins.includes('*') ? '*' : [...server.corsOrigins],
    credentials: !server.corsOrigins.includes('*'),
    // @fastify/cors allows only GET, HEAD and POST by default: browsers' preflights for document
    // writes (PUT/PATCH/DELETE) would fail.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['etag', 'content-range', 'accept-ranges', 'x-request-id', 'traceparent'],
    maxAge: 600,
  })
  await app.register(metricsPlugin, {
    metrics: deps.metrics,
    collectors: deps.collectors ?? [],
    observe: deps.onResponse,
  })
  const apiKeys = deps.apiKeys
  await app.register(identityPlugin, {
    keys: deps.keys,
    isAdminToken: deps.admins?.isAdminToken,
    apiKeys: apiKeys && {
      isApiKey,
      // The route's pattern when one matched (what the scopes map), else the path (a 404 to be).
      authenticate: async (token, request) =>
        admitApiKey(
          await apiKeys.verify(token),
          request.method,
          request.routeOptions.url ?? request.url.split('?')[0]!,
        ),
    },
  })

  await app.register(rateLimit, {
    global: false,
    ...(deps.rateLimit?.redis ? { redis: deps.rateLimit.redis } : {}),
    nameSpace: `${deps.rateLimit?.prefix ?? 'stratus'}:rate-limit:`,
    // A Redis outage must not lock everyone out: requests pass uncounted until it is back.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new StratusError('rate-limited', `Too many requests; retry in ${context.after}`, {
        details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      }),
  })
  await app.register(healthRoutes, { checks: deps.checks })
  if (deps.consoleDir) {
    await app.register(consoleRoutes, { prefix: '/console', dir: deps.consoleDir })
    // A browser opening the server's address lands in the console; API clients get a 404 as before.
    app.get('/', { schema: { hide: true } }, (request, reply) =>
      (request.headers.accept ?? '').includes('text/html')
        ? reply.redirect('/console/')
        : sendError(
            reply,
            'request/not-found',
            'No route for GET /: the API lives under /auth/v1, /db/v1, … (see /docs)',
          ),
    )
  }
  for (const service of deps.services ?? []) await app.register(service.routes, { prefix: service.prefix })
  await app.register(
    async (admin) => {
      const guard = { admins: deps.admins, serviceToken: () => deps.keys.currentServiceToken() }
      installAdminGuard(admin, guard)
      // Unknown admin paths answer 401/403 to callers without credentials, too: no probing the admin API.
      admin.setNotFoundHandler({ preHandler: admitUnknownRoute(guard) }, (request, reply) =>
        sendError(reply, 'request/not-found', `No route for ${request.method} ${request.url.split('?')[0]}`),
      )
      for (const routes of deps.admin ?? []) await admin.register(routes)
      if (deps.adminApp?.length) {
        await admin.register(
          async (appApi) => {
            appApi.addHook('onRoute', hideFromOpenApi)
            for (const service of deps.adminApp ?? [])
              await appApi.register(service.routes, { prefix: service.prefix })
          },
          { prefix: '/app' },
        )
      }
    },
    { prefix: '/admin/v1' },
  )
  return app
}
