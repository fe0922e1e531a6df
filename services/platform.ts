import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { functionsAdminPort } from '../functions-runtime/admin-port.ts'
import type { InternalHttp } from '../functions-runtime/host.ts'
import { FunctionsRuntime } from '../functions-runtime/runtime.ts'
import { ApiKeyService } from './admin/api-keys.ts'
import { controlSocketPath, listenControlSocket } from './admin/control-socket.ts'
import { localCommands } from './admin/local-commands.ts'
import { adminAccountsRoutes, rulesAdminRoutes } from './admin/routes/index.ts'
import { RulesSimulator } from './admin/rules-simulator.ts'
import { AdminService, isAdminToken } from './admin/service.ts'
import { DevMailbox } from './auth/mail/dev-mailbox.ts'
import type { MailTransport } from './auth/mail/mail-transport.ts'
import { openMailTransport } from './auth/mail/open-mail.ts'
import { authAdminRoutes, authRoutes } from './auth/routes/index.ts'
import { embeddedKeyPath, openSecretBox, type SecretBox } from './auth/secret-box.ts'
import { AuthService } from './auth/service.ts'
import { SigningKeys } from './auth/signing-keys.ts'
import { purgeAuthTokens } from './auth/token-purge.ts'
import type { Bus } from './bus/bus.ts'
import type { JobQueue } from './bus/jobs.ts'
import { openBus } from './bus/open-bus.ts'
import { openJobQueue } from './bus/open-jobs.ts'
import type { Config, Role } from './core/config.ts'
import { installRoot, stratusVersion } from './core/install-root.ts'
import type { Logger } from './core/logger.ts'
import { createMetrics, type Metrics } from './core/metrics.ts'
import { ResourceStack } from './core/resource-stack.ts'
import type { Database } from './db/database.ts'
import { migrate } from './db/migrate.ts'
import { openDatabase } from './db/open-database.ts'
import { deploymentsAdminRoutes } from './deployments/routes/index.ts'
import { DeploymentsService } from './deployments/service.ts'
import { documentsAdminRoutes, documentsRoutes } from './documents/routes/index.ts'
import { DocumentsService } from './documents/service.ts'
import { functionsAdminRoutes, functionsRoutes } from './functions/routes/index.ts'
import { FunctionsService } from './functions/service.ts'
import { buildGateway } from './gateway/build.ts'
import { Housekeeping } from './maintenance/housekeeping.ts'
import { vacuumUnattended } from './maintenance/vacuum.ts'
import { type OtelExport, openOtelExport } from './observability/otel.ts'
import type { GaugeSample } from './observability/recorder.ts'
import { observabilityAdminRoutes } from './observability/routes/index.ts'
import { ObservabilityService } from './observability/service.ts'
import { SpanStore } from './observability/span-store.ts'
import { TracesService } from './observability/traces.ts'
import { outboxLagSeconds } from './outbox/outbox.ts'
import { pruneOutbox } from './outbox/outbox-retention.ts'
import { OutboxRelay, signalOutboxCommits } from './outbox/relay.ts'
import { queueAdminRoutes, queueRoutes } from './queue/routes/index.ts'
import { QUEUE_RATE_MINUTES, QueueService } from './queue/service.ts'
import { realtimeRoutes } from './realtime/routes/index.ts'
import { RealtimeService } from './realtime/service.ts'
import { RulesEvaluator } from './rules/rules.ts'
import { openStorage } from './storage/open-storage.ts'
import { storageAdminRoutes, storageRoutes } from './storage/routes/index.ts'
import { StorageService } from './storage/service.ts'
import type { StorageDriver } from './storage/storage-driver.ts'

/** One running Stratus process: its drivers, its loops, and (for the api role) its HTTP gateway. */
export interface Platform {
  config: Config
  role: Role
  logger: Logger
  metrics: Metrics
  db: Database
  bus: Bus
  keys: SigningKeys
  /** Accounts and sessions. */
  auth: AuthService
  /** Admin accounts, console sessions and the audit log. */
  admins: AdminService
  /** Scoped, revocable API keys. */
  apiKeys: ApiKeyService
  /** Buckets and objects. */
  storage: StorageService
  /** The document database. */
  documents: DocumentsService
  /** Functions: registry, sandbox pool and (worker roles) dispatcher, job processors and schedules. */
  functions: FunctionsRuntime
  /** Function executions' job queue. */
  jobs: JobQueue
  /** Present when the role runs workers. */
  relay?: OutboxRelay
  /** Per-minute rollups (series, usage) and this node's entry in the nodes list. */
  observability: ObservabilityService
  /** Traces and retained events (`/admin/v1/traces`, `/admin/v1/events`). */
  traces: TracesService
  /** The OpenTelemetry export, when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  otel?: OtelExport
  /** Cleanup of old outbox events and spent auth tokens; present when the role runs workers. */
  housekeeping?: Housekeeping
  /** Present when the role serves HTTP (not yet listening: call `listen`). */
  app?: FastifyInstance
  /** True when this start created the project's first signing key (the service key is new). */
  createdKeys: boolean
  /** Stops taking work, lets in-flight work finish, closes every driver. Idempotent. */
  close(): Promise<void>
}

/** The steps of a start, in order: each registers the close of what it opens on one stack. */
export const STARTUP_STEPS = ['drivers', 'services', 'worker', 'api', 'running'] as const

/** One step of `createPlatform` (see STARTUP_STEPS). */
export type StartupStep = (typeof STARTUP_STEPS)[number]

/** Hooks for tests, kept out of the configuration: nothing an operator sets. */
export interface PlatformHooks {
  /** Called after each step of the start; a throw fails the start there, as a real failure would. */
  afterStep?(step: StartupStep): void | Promise<void>
}

/** What the `drivers` step opens: connections and stores every role needs. */
interface Drivers {
  metrics: Metrics
  db: Database
  bus: Bus
  jobs: JobQueue
  keys: SigningKeys
  createdKeys: boolean
  /** Encrypts secrets at rest: OAuth and TOTP secrets, signing keys, functions' env values. */
  secrets: SecretBox
  mail: MailTransport
  storage: StorageDriver
  /** Rate-limit counters shared by API nodes, when there is Redis. */
  rateLimitRedis?: Redis
  /** Whether this process's own relay leads (then its commits need no hint); set by the worker role. */
  relayLeads: { now: () => boolean }
}

/** What the `services` step builds on the drivers (nothing of it runs a loop yet). */
interface Services {
  auth: AuthService
  admins: AdminService
  apiKeys: ApiKeyService
  storage: StorageService
  documents: DocumentsService
  queue: QueueService
  functions: FunctionsRuntime
  functionsAdmin: FunctionsService
  /** App-as-code deployments over the services above. */
  deployments: DeploymentsService
  observability: ObservabilityService
  /** Request spans (batched rows), read back by `traces`. */
  spans: SpanStore
  traces: TracesService
  /** Present when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  otel?: OtelExport
  /** Absent on worker nodes, which serve no clients. */
  realtime?: RealtimeService
  /** The console's rules simulator (reads only). */
  rulesSimulator: RulesSimulator
}

/** What the `worker` step builds (not started until the `running` step). */
interface WorkerRole {
  relay: OutboxRelay
  housekeeping: Housekeeping
}

/**
 * The composition root: opens the drivers the configuration names, migrates (under a lock, so N nodes
 * can boot at once), makes sure the project has a signing key, builds the services, the `worker`
 * role's loops and the gateway, then starts the loops. Everything opened registers its close on one
 * resource stack as it opens, so `close()` and a start that fails at any point unwind the same list.
 */
export async function createPlatform(
  config: Config,
  role: Role,
  logger: Logger,
  hooks: PlatformHooks = {},
): Promise<Platform> {
  const stack = new ResourceStack(logger)
  try {
    const drivers = await openDrivers(config, role, logger, stack)
    await hooks.afterStep?.('drivers')
    // Every role builds the gateway: workers do not listen, but functions' ctx.db/storage/queue call
    // the platform's own HTTP API in-process through it (inject), as the function's own principal.
    let gateway: FastifyInstance | undefined
    const services = await openServices(config, role, logger, drivers, stack, (request) => {
      if (!gateway) throw new Error('the gateway is not built yet')
      return gateway.inject(request)
    })
    await hooks.afterStep?.('services')
    const worker = role === 'api' ? undefined : openWorkerRole(config, logger, drivers, services, stack)
    await hooks.afterStep?.('worker')
    gateway = await openApiRole(config, logger, drivers, services, stack)
    await hooks.afterStep?.('api')
    await startLoops(role, services, worker, stack)
    await hooks.afterStep?.('running')
    return {
      config,
      role,
      logger,
      metrics: drivers.metrics,
      db: drivers.db,
      bus: drivers.bus,
      keys: drivers.keys,
      auth: services.auth,
      admins: services.admins,
      apiKeys: services.apiKeys,
      storage: services.storage,
      documents: services.documents,
      functions: services.functions,
      jobs: drivers.jobs,
      relay: worker?.relay,
      observability: services.observability,
      traces: services.traces,
      otel: services.otel,
      housekeeping: worker?.housekeeping,
      app: role === 'worker' ? undefined : gateway,
      createdKeys: drivers.createdKeys,
      close: () => stack.unwind(),
    }
  } catch (error) {
    // Each close that fails is logged by the stack; the caller needs the reason the start failed.
    await stack.unwind().catch(() => {})
    throw error
  }
}

/** Database (migrated), bus, job queue, signing keys, mail, storage, rate-limit Redis. */
async function openDrivers(
  config: Config,
  role: Role,
  logger: Logger,
  stack: ResourceStack,
): Promise<Drivers> {
  const metrics = createMetrics()
  const db = await openDatabase(config)
  stack.defer('database', () => db.close())
  const applied = await migrate(db)
  if (applied.length) logger.info({ applied }, 'applied database migrations')
  const bus = openBus(config, logger)
  stack.defer('bus', () => bus.close())
  // The relay leader may be another node: tell it about this node's commits.
  const relayLeads = { now: () => false }
  stack.defer(
    'outbox commit hints',
    signalOutboxCommits(db, bus, () => relayLeads.now()),
  )
  const jobs = openJobQueue(config, logger.child({ component: 'jobs' }))
  stack.defer('job queue', () => jobs.close())
  // Embedded mode (one process, its own data directory) may generate its key; a shared database
  // needs AUTH_ENCRYPTION_KEY, identical on every node.
  const secrets = openSecretBox({
    key: config.auth.encryptionKey,
    generatedKeyFile: config.database.url ? undefined : embeddedKeyPath(config.dataDir),
  })
  if (!secrets.available) {
    logger.warn(
      'AUTH_ENCRYPTION_KEY is not set: signing keys and function env values are stored unencrypted, and OAuth and MFA secrets cannot be stored',
    )
  }
  const { keys, created } = await SigningKeys.open(db, {
    revocationCheckMs: config.auth.revocationCheckMs,
    secrets,
  })
  const mail = openMailTransport(config, db)
  stack.defer('mail', () => mail.close())
  const storage = await openStorage(config, logger)
  stack.defer('storage driver', () => storage.close())
  let rateLimitRedis: Redis | undefined
  if (role !== 'worker' && config.redis.url) {
    // Rate-limit counters shared by every API node. Commands time out rather than queue while Redis
    // is away, and the limiter then lets requests through (see the gateway's skipOnError).
    const redis = new Redis(config.redis.url, {
      connectionName: `stratus-rate-limit:${config.redis.prefix}`,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
    })
    redis.on('error', (error) => logger.debug({ err: error }, 'rate-limit redis error'))
    // quit() waits for a reply: only ask a connected client, else drop the socket.
    stack.defer('rate-limit redis', async () => {
      if (redis.status === 'ready') await redis.quit().catch(() => {})
      else redis.disconnect()
    })
    rateLimitRedis = redis
  }
  return {
    metrics,
    db,
    bus,
    jobs,
    keys,
    createdKeys: created,
    secrets,
    mail,
    storage,
    rateLimitRedis,
    relayLeads,
  }
}

/** Auth, storage, documents, queue, the functions runtime (not started) and realtime (not following). */
async function openServices(
  config: Config,
  role: Role,
  logger: Logger,
  drivers: Drivers,
  stack: ResourceStack,
  http: InternalHttp,
): Promise<Services> {
  const { db, bus, keys, metrics, secrets } = drivers
  const auth = await AuthService.create({
    db,
    keys,
    mail: drivers.mail,
    logger: logger.child({ component: 'auth' }),
    accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
    emailVerification: config.auth.emailVerification,
    siteUrl: config.auth.siteUrl,
    userCacheMs: config.auth.userCacheMs,
    signinThrottle: {
      maxFailures: config.auth.rateLimit.signinAccount,
      windowSeconds: config.auth.rateLimit.windowSeconds,
    },
    secrets,
    redirectUrls: config.auth.redirectUrls,
    externalUrl: config.auth.externalUrl,
  })
  stack.defer('auth', () => auth.close())
  // Admin accounts. The process holding the embedded database also answers `stratus keys` and
  // `stratus admin` on a local socket, since the CLI cannot open the database beside it.
  const admins = await AdminService.create({ db, secrets, sessionTtlSeconds: config.admin.sessionTtlSeconds })
  const apiKeys = new ApiKeyService({ db, logger: logger.child({ component: 'api-keys' }) })
  // Its lastUsedAt writes run off the requests' path: they finish before the database closes.
  stack.defer('api keys', () => apiKeys.drain())
  if (db.driver === 'pglite') {
    const control = await listenControlSocket(
      controlSocketPath(config.dataDir),
      localCommands({ admins, keys }),
      logger.child({ component: 'control' }),
    )
    stack.defer('control socket', () => control.close())
  }
  const rules = new RulesEvaluator({ logger: logger.child({ component: 'rules' }) })
  // Built before the services whose hot paths feed its recorder (storage, functions, the gateway);
  // its samplers run only once it starts (the `running` step), when everything they read exists.
  const samplers: Array<() => Promise<GaugeSample[]>> = [
    async () => [{ metric: 'outbox_lag_seconds', labels: {}, value: await outboxLagSeconds(db) }],
    async () =>
      (await queue.stats()).flatMap((q) => [
        { metric: 'queue_depth', labels: { queue: q.name }, value: q.depth },
        { metric: 'queue_oldest_age_seconds', labels: { queue: q.name }, value: q.oldestAgeSeconds },
      ]),
    async () =>
      (await storage.bucketSizes()).map((b) => ({
        metric: 'storage_bytes',
        labels: { bucket: b.name },
        value: b.bytes,
      })),
    async () => [
      {
        metric: 'realtime_connections',
        labels: {},
        value: (await metrics.websocketConnections.get()).values[0]?.value ?? 0,
      },
    ],
  ]
  const observability: ObservabilityService = new ObservabilityService({
    db,
    logger: logger.child({ component: 'observability' }),
    role,
    rollup: config.observability.rollup,
    flushMs: config.observability.flushMs,
    retentionDays: config.observability.retentionDays,
    samplers,
    storedBytes: (): ReturnType<StorageService['bucketSizes']> => storage.bucketSizes(),
  })
  // Closed after the gateway and the functions runtime (registered before them): their last counts go
  // out with its last flush. Closing one that never started writes nothing of its own.
  stack.defer('observability', () => observability.close())
  // Like the rollups, registered before what produces spans (gateway, runtime, relay): closed after
  // them, their last spans go out.
  const otel = config.observability.otlpEndpoint
    ? await openOtelExport({
        endpoint: config.observability.otlpEndpoint,
        serviceName: config.observability.serviceName,
        serviceVersion: stratusVersion(),
        instanceId: observability.nodeId,
      })
    : undefined
  if (otel) stack.defer('opentelemetry export', () => otel.close())
  const spans = new SpanStore(db, { logger: logger.child({ component: 'traces' }) })
  stack.defer('request spans', () => spans.close())
  const recorder = observability.recorder
  const storage = new StorageService({
    db,
    driver: drivers.storage,
    rules,
    logger: logger.child({ component: 'storage' }),
    maxFileSize: config.storage.maxFileSize,
    meter: recorder,
  })
  stack.defer('storage', () => storage.close())
  const documents = await DocumentsService.create({
    db,
    rules,
    logger: logger.child({ component: 'database' }),
    limits: config.documents,
    configCacheMs: config.documents.configCacheMs,
    listMaxScan: config.documents.listMaxScan,
  })
  const functions = new FunctionsRuntime({
    db,
    secrets,
    bus,
    jobs: drivers.jobs,
    logger: logger.child({ component: 'functions' }),
    registry: metrics.registry,
    config: config.functions,
    http,
    principal: (name) => keys.functionToken(name),
    onExecution: recorder && ((fn, status, ms) => recorder.execution(fn.name, status, ms, fn.memoryMb)),
    onQueueDelivery: recorder && ((queueName) => recorder.queueMessage(queueName, 'processed')),
    spans: otel,
  })
  // Its sandbox pool holds isolates and a reaper timer from construction on.
  stack.defer('functions runtime', () => functions.close())
  // Env values deployed before they were encrypted (or while no key was set) are encrypted now.
  const sealedEnvs = await functions.store.sealStoredEnv()
  if (sealedEnvs > 0) logger.info({ versions: sealedEnvs }, 'encrypted stored function env values')
  const traces = new TracesService({
    db,
    spans,
    executions: {
      ofTrace: (traceId) => functions.store.executionsOfTrace(traceId),
      ofEvents: (events) => functions.store.executionsOfEvents(events),
    },
  })
  const functionsAdmin = new FunctionsService(functionsAdminPort(functions), {
    maxMemoryMb: config.functions.maxMemoryMb,
  })
  const queue = new QueueService({
    db,
    rules,
    dedupSeconds: config.queue.dedupSeconds,
    stats: () => functions.queueStats(),
    meter: recorder,
    rates: async () => {
      const rates = await observability.recentRates(
        ['queue_published', 'queue_processed'],
        'queue',
        QUEUE_RATE_MINUTES,
      )
      return new Map(
        [...rates].map(([name, r]) => [
          name,
          { publishedPerMinute: r.queue_published ?? 0, processedPerMinute: r.queue_processed ?? 0 },
        ]),
      )
    },
  })
  // Realtime follows the bus on every node that serves clients.
  const realtime =
    role === 'worker'
      ? undefined
      : new RealtimeService({
          db,
          bus,
          keys,
          collections: documents.collections,
          logger: logger.child({ component: 'realtime' }),
          limits: config.realtime,
          onConnections: (count) => metrics.websocketConnections.set(count),
        })
  const rulesSimulator = new RulesSimulator({ rules, documents, storage, users: auth })
  const deployments = new DeploymentsService({
    db,
    services: { documents, storage, queue, functions: functionsAdmin, oauth: auth.oauth },
    logger: logger.child({ component: 'deployments' }),
  })
  return {
    auth,
    admins,
    apiKeys,
    storage,
    documents,
    queue,
    functions,
    functionsAdmin,
    deployments,
    observability,
    spans,
    traces,
    otel,
    realtime,
    rulesSimulator,
  }
}

/** The outbox relay and housekeeping of worker roles, built but not started (see startLoops). */
function openWorkerRole(
  config: Config,
  logger: Logger,
  drivers: Drivers,
  services: Services,
  stack: ResourceStack,
): WorkerRole {
  const { db, bus, metrics } = drivers
  const relay = new OutboxRelay(db, bus, {
    ...config.relay,
    logger: logger.child({ component: 'relay' }),
    metrics,
    spans: services.otel,
  })
  drivers.relayLeads.now = () => relay.leading
  // Registered before the gateway, so that it stops (and hands its lease to another node) only once
  // in-flight requests have committed their events; stopping a relay that never started is a no-op.
  stack.defer('outbox relay', () => relay.stop())
  const housekeeping = new Housekeeping(
    [
      {
        name: 'outbox',
        run: () =>
          pruneOutbox(db, {
            retentionHours: config.housekeeping.outboxRetentionHours,
            keepUnsettled: bus.capabilities.delivery === 'in-memory',
          }),
      },
      { name: 'auth-tokens', run: () => purgeAuthTokens(db) },
      { name: 'admin-sessions', run: () => services.admins.purgeSessions() },
      { name: 'metrics', run: () => services.observability.prune() },
      // Request spans explain events: kept as long as the outbox keeps those.
      { name: 'trace-spans', run: () => services.traces.prune(config.housekeeping.outboxRetentionHours) },
      ...services.functions.retentionTasks(),
      // Last: after the deletes above, so their dead rows go in the same round.
      { name: 'vacuum', run: () => vacuumUnattended(db) },
    ],
    {
      intervalMs: config.housekeeping.intervalMs,
      logger: logger.child({ component: 'housekeeping' }),
    },
  )
  return { relay, housekeeping }
}

/** The gateway (every role builds it, only api roles listen) and realtime, now following the bus. */
async function openApiRole(
  config: Config,
  logger: Logger,
  drivers: Drivers,
  services: Services,
  stack: ResourceStack,
): Promise<FastifyInstance> {
  const { db, bus, metrics, keys } = drivers
  const { functions, realtime } = services
  const storageDeps = { service: services.storage, maxFileSize: config.storage.maxFileSize }
  const documentsDeps = {
    service: services.documents,
    // A document's JSON plus its envelope must fit, whatever the general body limit.
    documentBodyLimit: Math.max(config.server.bodyLimit, config.documents.maxDocumentBytes + 64 * 1024),
  }
  const authDeps = {
    service: services.auth,
    rateLimit: config.auth.rateLimit,
    mailbox: drivers.mail instanceof DevMailbox ? drivers.mail : undefined,
  }
  const functionsDeps = { service: services.functionsAdmin, invoker: functions }
  const queueDeps = { service: services.queue }
  const recorder = services.observability.recorder
  const lagCollector = async () => {
    metrics.outboxLag.set(await outboxLagSeconds(db))
  }
  const queueCollector = async () => {
    for (const s of await bus.stats()) {
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
        metrics.busQueue.set({ subscriber: s.name, state }, s[state])
      }
    }
  }
  const gateway = await buildGateway({
    config,
    logger,
    metrics,
    keys,
    checks: [
      { name: 'database', check: () => db.ping() },
      { name: 'bus', check: () => bus.ping() },
      { name: 'storage', check: () => drivers.storage.ping() },
    ],
    collectors: [lagCollector, queueCollector, async () => void (await functions.queueStats())],
    onResponse: recorder && ((url, status, ms) => recorder.request(url, status, ms)),
    consoleDir: path.join(installRoot(), 'console', 'dist'),
    tracing: { onWritten: (span) => services.spans.add(span), sink: services.otel },
    services: [
      { prefix: '/auth/v1', routes: authRoutes(authDeps) },
      { prefix: '/storage/v1', routes: storageRoutes(storageDeps) },
      { prefix: '/db/v1', routes: documentsRoutes(documentsDeps) },
      { prefix: '/functions/v1', routes: functionsRoutes(functionsDeps) },
      { prefix: '/queue/v1', routes: queueRoutes(queueDeps) },
      ...(realtime ? [{ prefix: '/realtime/v1', routes: realtimeRoutes({ service: realtime }) }] : []),
    ],
    // The same data plane for the console, under /admin/v1/app (admin sessions; rules bypassed).
    // Signed URLs made there point at the public path: they must work with no credentials.
    adminApp: [
      { prefix: '/db/v1', routes: documentsRoutes(documentsDeps) },
      { prefix: '/storage/v1', routes: storageRoutes({ ...storageDeps, signedUrlPrefix: '/storage/v1' }) },
      { prefix: '/functions/v1', routes: functionsRoutes(functionsDeps) },
      { prefix: '/queue/v1', routes: queueRoutes(queueDeps) },
    ],
    admin: [
      authAdminRoutes(authDeps),
      storageAdminRoutes(storageDeps),
      documentsAdminRoutes(documentsDeps),
      functionsAdminRoutes(functionsDeps),
      queueAdminRoutes(queueDeps),
      deploymentsAdminRoutes({
        service: services.deployments,
        // A manifest carries every function's bundled code (up to 1 MB each).
        bodyLimit: Math.max(config.server.bodyLimit, 32 * 1024 * 1024),
      }),
      observabilityAdminRoutes({ service: services.observability, traces: services.traces }),
      rulesAdminRoutes({ simulator: services.rulesSimulator }),
      adminAccountsRoutes({
        service: services.admins,
        keys: drivers.keys,
        apiKeys: services.apiKeys,
        rateLimit: config.auth.rateLimit,
        sessionTtlSeconds: config.admin.sessionTtlSeconds,
      }),
    ],
    admins: {
      isAdminToken,
      authenticate: (token) => services.admins.authenticate(token),
      audit: services.admins.audit,
    },
    apiKeys: services.apiKeys,
    rateLimit: { redis: drivers.rateLimitRedis, prefix: config.redis.prefix },
  })
  // Closing the gateway stops taking requests and waits for in-flight ones.
  stack.defer('gateway', () => gateway.close())
  if (realtime) {
    // Closed before the gateway: its WebSockets get 1001 instead of holding the server open.
    stack.defer('realtime', () => realtime.close())
    await realtime.start()
  }
  return gateway
}

/**
 * Starts the loops, last so that nothing runs before what it calls exists; their stops, registered
 * last, run first on close: function jobs stop before HTTP does, as their ctx calls need the gateway.
 */
async function startLoops(
  role: Role,
  services: Services,
  worker: WorkerRole | undefined,
  stack: ResourceStack,
): Promise<void> {
  if (worker) {
    stack.defer('housekeeping', () => worker.housekeeping.stop())
    worker.housekeeping.start()
  }
  stack.defer('functions loops', () => services.functions.stop())
  await services.functions.start({ worker: role !== 'api' })
  await services.observability.start()
  // The in-process bus hands events only to subscribers registered when they are published: the
  // relay starts once the functions dispatcher (and realtime) have subscribed.
  await worker?.relay.start()
}
