import { totalmem } from 'node:os'
import path from 'node:path'
import { z } from 'zod'

/**
 * The one configuration schema. Each entry names its environment variable, so that a bad value is
 * reported by the variable's name: start-up stops with that one line, never a stack trace.
 * `loadConfig` parses once at the entry point; the frozen result is passed down, never re-read.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `must be an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol)
        } catch {
          return false
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    )

const nonEmpty = z.string().trim().min(1, 'must not be empty')

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
)

/** A 32-byte key, base64 (standard or URL-safe alphabet): `openssl rand -base64 32`. */
const key32 = z
  .string()
  .trim()
  .refine(
    (value) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32,
    'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  )

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

/** One environment variable: how to parse it, its default, and what it is for (for the docs). */
interface Variable {
  readonly schema: z.ZodType
  /** Parsed like a user's value; `undefined` = unset unless given. */
  readonly default: string | undefined
  /** What leaving it unset means, when it has no default (e.g. "embedded PGlite"). */
  readonly unset?: string
  /** One or two sentences, Markdown: docs/configuration.md shows it as is. */
  readonly description: string
}

/**
 * Every variable Stratus reads: its parser, its default (a string, parsed like a user's value), and what
 * it means. `unset` says what an unset variable without a default means. docs/configuration.md is
 * generated from this table (`npm run docs`), and a test fails when the two disagree.
 */
/**
 * What a node can give one isolate by default: a quarter of the machine's memory, at most 4096 MB
 * (the most a deploy has ever accepted), so a few busy functions cannot take the node's memory.
 */
function defaultMaxMemoryMb(): number {
  return Math.max(8, Math.min(4096, Math.floor(totalmem() / 2 ** 20 / 4)))
}

const VARIABLES = {
  PORT: { schema: int(0, 65535), default: '8080', description: 'HTTP port (`0` = any free port).' },
  HOST: {
    schema: nonEmpty,
    default: '127.0.0.1',
    description: 'Interface to listen on (`0.0.0.0` in containers).',
  },
  STRATUS_DATA_DIR: {
    schema: nonEmpty,
    default: './.stratus',
    description:
      'Holds the embedded database (`db/`), local storage (`storage/`) and generated keys (`keys/`).',
  },
  DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']),
    default: undefined,
    unset: 'embedded PGlite',
    description: '`postgres://…`: PostgreSQL, shared by every node.',
  },
  DATABASE_POOL_SIZE: {
    schema: int(1, 500),
    default: '10',
    description: 'Database connections per process.',
  },
  REDIS_URL: {
    schema: url(['redis:', 'rediss:']),
    default: undefined,
    unset: 'in-process bus',
    description: '`redis://…`: BullMQ queues and pub/sub, shared by every node.',
  },
  REDIS_PREFIX: {
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_-]'),
    default: 'stratus',
    description: 'Redis key namespace; processes sharing it form one cluster.',
  },
  S3_ENDPOINT: {
    schema: url(['http:', 'https:']),
    default: undefined,
    unset: 'local disk',
    description:
      'S3-compatible storage (MinIO, AWS S3, R2). Set all four `S3_*` connection variables or none.',
  },
  S3_ACCESS_KEY: { schema: nonEmpty, default: undefined, description: 'S3 access key.' },
  S3_SECRET_KEY: { schema: nonEmpty, default: undefined, description: 'S3 secret key.' },
  S3_BUCKET: {
    schema: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    default: undefined,
    description:
      'The one S3 bucket that holds every Stratus bucket (as the key prefix `<bucket>/`); created at start if missing.',
  },
  S3_REGION: { schema: nonEmpty, default: 'us-east-1', description: 'S3 region.' },
  STORAGE_MAX_FILE_SIZE: {
    schema: int(0, 5 * 1024 ** 4),
    default: String(5 * 1024 ** 3),
    description: "Largest object in bytes (5 GiB); a bucket's `maxFileSize` may only lower it.",
  },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
    description: `One of ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}.`,
  },
  LOG_FORMAT: {
    schema: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }),
    default: undefined,
    unset: 'pretty on a terminal, JSON otherwise',
    description:
      '`json`: one JSON object per line (what log collectors read); `pretty`: readable lines (pino-pretty).',
  },
  BODY_LIMIT_BYTES: {
    schema: int(1024, 1024 * 1024 * 1024),
    default: String(2 * 1024 * 1024),
    description: 'Larger JSON bodies get 413 `request/too-large`.',
  },
  CORS_ORIGINS: { schema: list, default: '*', description: 'Comma-separated allowed origins.' },
  TRUST_PROXY: {
    schema: bool,
    default: 'false',
    description: 'Trust `X-Forwarded-*` headers from a proxy in front.',
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: int(0, 600_000),
    default: '10000',
    description: 'How long SIGTERM/SIGINT lets in-flight requests finish before closing.',
  },
  OUTBOX_RETENTION_HOURS: {
    schema: int(1, 24 * 3650),
    default: '168',
    description:
      'Published events older than this are deleted (a realtime `since` before the oldest kept event gets `realtime/replay-too-large`), and so are the request spans of traces (`GET /admin/v1/traces/{id}`).',
  },
  HOUSEKEEPING_INTERVAL_SECONDS: {
    schema: int(1, 24 * 3600),
    default: '300',
    description:
      'How often worker nodes delete old outbox events, spent auth tokens, function executions, handed-over queue messages, expired admin sessions and expired per-minute rollups, then vacuum and analyse the tables that need it when nothing else does (PGlite, or PostgreSQL with `autovacuum` off).',
  },
  METRICS_ROLLUP: {
    schema: bool,
    default: 'true',
    description:
      'Whether this node rolls its request, function and storage counts up per minute into the database (the series and usage APIs read them). Nodes register and heartbeat either way.',
  },
  METRICS_FLUSH_MS: {
    schema: int(100, 3_600_000),
    default: '60000',
    description:
      "How often a node writes its per-minute rollups (counts still land in the minute they happened in) and samples gauges; a clean shutdown writes the rest. Also bounds the node's heartbeat (at most 15 s).",
  },
  METRICS_RETENTION_DAYS: {
    schema: int(1, 3650),
    default: '30',
    description:
      'Per-minute rollups older than this are deleted by housekeeping (series and usage reach back this far).',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url(['http:', 'https:']),
    default: undefined,
    unset: 'no export',
    description:
      'OpenTelemetry collector base URL (`http://collector:4318`): spans of requests, outbox publishes, bus deliveries and function executions go to `<url>/v1/traces` over OTLP/HTTP (JSON), with the trace ids of `traceparent`.',
  },
  OTEL_SERVICE_NAME: {
    schema: nonEmpty,
    default: 'stratus',
    description: "The `service.name` of the exported spans' resource.",
  },
  RELAY_BATCH_SIZE: {
    schema: int(1, 10_000),
    default: '500',
    description: 'Outbox rows published per relay cycle.',
  },
  RELAY_POLL_MS: {
    schema: int(1, 60_000),
    default: '25',
    description:
      "Fallback poll: how soon commits from other processes are relayed when no hint reaches the leader (the relay's own process wakes it at once; with Redis, other nodes hint it).",
  },
  RELAY_LINGER_MS: {
    schema: int(0, 1000),
    default: '3',
    description:
      'While events keep coming, the relay waits this long after each publish so the next ones go out together (fewer statements, publishes and deliveries per event under load); 0 publishes each cycle at once. The first event after a quiet spell never waits.',
  },
  RELAY_POLL_MAX_MS: {
    schema: int(1, 60_000),
    default: '2000',
    description:
      'While polls find nothing, the fallback poll backs off from `RELAY_POLL_MS` up to this; any wake-up or published row brings it back (an idle server costs almost nothing).',
  },
  FUNCTIONS_WARM_POOL_SIZE: {
    schema: int(0, 1000),
    default: '32',
    description:
      'Idle isolates kept per function version per process (a `concurrency` above it re-creates isolates under load).',
  },
  FUNCTIONS_IDLE_MS: {
    schema: int(1000, 24 * 3600 * 1000),
    default: '300000',
    description: 'An idle isolate unused this long is disposed.',
  },
  FUNCTIONS_WORKERS: {
    schema: int(0, 1000),
    default: '16',
    description:
      "Function executions (event, queue, schedule) run at once per worker process: per job queue, and as many for event triggers' first attempts; `0` = none in this process.",
  },
  FUNCTIONS_RETRY_BACKOFF_MS: {
    schema: int(0, 3_600_000),
    default: '1000',
    description: 'Delay before the first retry of a failed execution; doubles each retry.',
  },
  FUNCTIONS_JOB_LOCK_MS: {
    schema: int(500, 600_000),
    default: '30000',
    description:
      'With Redis: a job or bus delivery whose worker died runs again elsewhere about this long after (the lock is renewed while it runs).',
  },
  FUNCTIONS_EXECUTION_RETENTION_HOURS: {
    schema: int(1, 24 * 365),
    default: '168',
    description: 'Executions (and dispatched queue messages) older than this are deleted.',
  },
  FUNCTIONS_LOG_LINES: {
    schema: int(0, 10_000),
    default: '100',
    description: '`ctx.log` lines kept per execution.',
  },
  FUNCTIONS_LOG_LINE_LENGTH: {
    schema: int(16, 100_000),
    default: '2000',
    description: 'Length each kept log line is cut to.',
  },
  FUNCTIONS_ALLOW_FETCH: {
    schema: bool,
    default: 'false',
    description:
      'Give functions a global `fetch` (outbound HTTP from the worker, to any address it can reach).',
  },
  FUNCTIONS_MAX_PAYLOAD_BYTES: {
    // Lambda caps a synchronous response at 6 MB; ours is the same for everything that crosses the sandbox.
    schema: int(1024, 256 * 1024 * 1024),
    default: String(6 * 1024 * 1024),
    description:
      "Most bytes that cross the sandbox in one piece: a result (larger: 502 `functions/result-too-large`), a ctx call's body, a ctx answer, a download or a `fetch` body (larger: `request/too-large` inside the function).",
  },
  FUNCTIONS_MAX_MEMORY_MB: {
    schema: int(8, 65_536),
    default: undefined,
    unset: "a quarter of the machine's memory, at most 4096",
    description:
      'The largest `memoryMb` a function may be deployed with (larger: 400 `request/invalid`), and the most memory any isolate on this node gets.',
  },
  FUNCTIONS_REPLAY_RATE: {
    schema: int(1, 1_000_000),
    default: '100',
    description:
      'Events per second one replay runs (`POST /admin/v1/functions/{name}/replay`, or a deploy with `backfill`); each replay is paced on its own.',
  },
  FUNCTIONS_RECONCILE_INTERVAL_MS: {
    schema: int(0, 3_600_000),
    default: '5000',
    description:
      'How often the reconciler (one worker node at a time, with a durable bus) looks for committed events whose triggers never ran, because the bus lost them (a Redis that restarted empty or failed over), and delivers them again; 0 turns it off.',
  },
  FUNCTIONS_RECONCILE_GRACE_MS: {
    schema: int(1000, 3_600_000),
    default: '15000',
    description:
      'How old an event (or a queue message, from when it falls due) must be before the reconciler may deliver it again: normal delivery has had this long to record an execution.',
  },
  FUNCTIONS_RECONCILE_BATCH: {
    schema: int(10, 100_000),
    default: '1000',
    description:
      'The most events one reconciler pass reads from the outbox (its work per pass is bounded by this).',
  },
  QUEUE_DEDUP_SECONDS: {
    schema: int(1, 7 * 24 * 3600),
    default: '300',
    description: 'How long a `dedupId` is remembered per queue.',
  },
  ACCESS_TOKEN_TTL_SECONDS: {
    schema: int(10, 7 * 24 * 3600),
    default: '3600',
    description: 'Access token lifetime.',
  },
  AUTH_REDIRECT_URLS: {
    schema: list,
    default: '',
    description:
      'Comma-separated allow-list for OAuth `redirect_to` (exact URLs or globs); `PUT /admin/v1/auth/settings` adds to it.',
  },
  REFRESH_TOKEN_TTL_SECONDS: {
    schema: int(60, 365 * 24 * 3600),
    default: String(30 * 24 * 3600),
    description: 'Lifetime of each refresh token (every refresh issues a new one).',
  },
  AUTH_SITE_URL: {
    schema: url(['http:', 'https:']),
    default: undefined,
    unset: 'the token alone',
    description:
      'Where links in auth mail point (`<url>#type=recovery&token=…`), and where an OAuth callback with a bad `state` is sent.',
  },
  AUTH_EMAIL_VERIFICATION: {
    schema: bool,
    default: 'false',
    description: 'Mail a verification token on sign-up and on an email change.',
  },
  AUTH_USER_CACHE_MS: {
    schema: int(0, 60_000),
    default: '1000',
    description:
      'How long a node may answer `GET /auth/v1/user` from memory (its own changes show at once); `0` = read the database every time.',
  },
  AUTH_REVOCATION_CHECK_MS: {
    schema: int(0, 60_000),
    default: '5000',
    description:
      'The bound on how long an access token keeps working on every service after its session ends (logout, user deletion, sign-out everywhere): each node re-reads the revoked sessions at most this long after its last read (the node that revoked refuses at once); `0` = read them on every request.',
  },
  AUTH_EXTERNAL_URL: {
    schema: url(['http:', 'https:']),
    default: undefined,
    unset: "the request's origin",
    description:
      'Public base URL of the API; OAuth providers redirect to `<url>/auth/v1/callback` (set it behind a proxy).',
  },
  AUTH_ENCRYPTION_KEY: {
    schema: key32,
    default: undefined,
    unset: 'generated (embedded only)',
    description:
      '32 bytes, base64 (`openssl rand -base64 32`): encrypts OAuth client secrets, TOTP secrets, signing keys and function env values at rest. Required with `DATABASE_URL` (the same on every node; unset, start warns and keys and env values stay in plaintext); embedded mode generates `<STRATUS_DATA_DIR>/keys/auth-encryption.key`. Changing it makes stored secrets unreadable.',
  },
  ADMIN_SESSION_TTL_SECONDS: {
    schema: int(60, 30 * 24 * 3600),
    default: '43200',
    description:
      'Lifetime of an admin console session (`POST /admin/v1/session`); signing out ends it sooner.',
  },
  SMTP_URL: {
    schema: url(['smtp:', 'smtps:']),
    default: undefined,
    unset: 'dev mailbox',
    description:
      '`smtp://…` or `smtps://…` mail transport; unset, mail goes to a table read at `GET /admin/v1/mail`.',
  },
  MAIL_FROM: {
    schema: nonEmpty,
    default: 'Stratus <no-reply@localhost>',
    description: 'Sender of auth mail.',
  },
  RATE_LIMIT_WINDOW_SECONDS: {
    schema: int(1, 24 * 3600),
    default: '300',
    description:
      'The window the `RATE_LIMIT_*` counts apply to (counted in Redis when configured, so across nodes).',
  },
  RATE_LIMIT_SIGNUP: {
    schema: int(0, 1_000_000),
    default: '30',
    description: 'Sign-ups per client IP per window (`0` = unlimited).',
  },
  RATE_LIMIT_SIGNIN: {
    schema: int(0, 1_000_000),
    default: '30',
    description: 'Sign-ins per client IP per window (`0` = unlimited).',
  },
  RATE_LIMIT_SIGNIN_ACCOUNT: {
    schema: int(0, 1_000_000),
    default: '10',
    description:
      'Failed password sign-ins per account (per email address, known or not, from any client IP) per window; past it every sign-in of that address answers 429 until the window ends (`0` = unlimited).',
  },
  RATE_LIMIT_REFRESH: {
    schema: int(0, 1_000_000),
    default: '150',
    description: 'Token refreshes per client IP per window (`0` = unlimited).',
  },
  RATE_LIMIT_RECOVER: {
    schema: int(0, 1_000_000),
    default: '5',
    description: 'Password recovery requests per client IP per window (`0` = unlimited).',
  },
  RATE_LIMIT_OAUTH: {
    schema: int(0, 1_000_000),
    default: '60',
    description: 'OAuth sign-ins started per client IP per window (`0` = unlimited).',
  },
  RATE_LIMIT_MFA: {
    schema: int(0, 1_000_000),
    default: '5',
    description:
      'MFA code attempts per user per window, TOTP and recovery codes counted apart (`0` = unlimited).',
  },
  DB_MAX_DOCUMENT_BYTES: {
    schema: int(1024, 64 * 1024 * 1024),
    default: String(1024 * 1024),
    description: 'Larger documents (their JSON) get 413 `db/too-large`.',
  },
  DB_MAX_DEPTH: {
    schema: int(2, 1000),
    default: '100',
    description: 'Deeper nesting of objects and arrays gets 400 `db/invalid-document`.',
  },
  DB_CONFIG_CACHE_MS: {
    schema: int(0, 60_000),
    default: '1000',
    description:
      "How long a node uses a collection's rules and schema from memory (changes made through that node apply at once).",
  },
  DB_LIST_MAX_SCAN: {
    schema: int(1, 1_000_000),
    default: '5000',
    description: 'Rows one list page may examine when the read rule filters document by document.',
  },
  REALTIME_MAX_REPLAY: {
    schema: int(0, 10_000_000),
    default: '10000',
    description: 'The most events a `since` replay may cover; beyond it, `realtime/replay-too-large`.',
  },
  REALTIME_HEARTBEAT_MS: {
    schema: int(100, 600_000),
    default: '30000',
    description: 'WebSocket ping interval; a connection that answers none of two pings in a row is dropped.',
  },
  REALTIME_MAX_BUFFER_BYTES: {
    schema: int(1024, 1024 ** 3),
    default: String(1024 * 1024),
    description: 'Bytes queued for one connection before it is closed (4008) as a slow consumer.',
  },
  REALTIME_MAX_SUBSCRIPTIONS: {
    schema: int(1, 10_000),
    default: '100',
    description: 'Subscriptions per WebSocket connection.',
  },
} as const satisfies Record<string, Variable>

type Variables = typeof VARIABLES
type VariableName = keyof Variables
type Parsed = {
  [K in VariableName]: Variables[K]['default'] extends string
    ? z.output<Variables[K]['schema']>
    : z.output<Variables[K]['schema']> | undefined
}

/** The names of every environment variable Stratus reads, for documentation and tests. */
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as VariableName[]

/** One row of the configuration reference (docs/configuration.md is generated from these). */
export interface ConfigVariableDoc {
  readonly name: string
  /** The default as a user would write it; undefined when there is none. */
  readonly default?: string
  /** What leaving it unset means, for a variable without a default. */
  readonly unset?: string
  readonly description: string
}

/** Every variable with its default and description, in the schema's order. */
export const CONFIG_REFERENCE: readonly ConfigVariableDoc[] = CONFIG_VARIABLES.map((name) => {
  const spec: Variable = VARIABLES[name]
  return { name, default: spec.default, unset: spec.unset, description: spec.description }
})

/** A configuration value that cannot be used: `message` is the one line start-up prints. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, problem: string, value: string) {
    super(`Invalid configuration: ${variable} ${problem} (got ${JSON.stringify(value)})`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/** Which process roles run: `api` serves HTTP/WS, `worker` runs the relay, dispatcher and schedules. */
export type Role = 'all' | 'api' | 'worker'
export const ROLES: readonly Role[] = ['all', 'api', 'worker']

/** The validated, frozen configuration of one Stratus process. */
export interface Config {
  readonly server: {
    readonly host: string
    readonly port: number
    readonly bodyLimit: number
    readonly corsOrigins: readonly string[]
    readonly trustProxy: boolean
    readonly shutdownTimeoutMs: number
  }
  /** Holds the embedded database, local storage and generated files. Absolute. */
  readonly dataDir: string
  /** `url` unset = the embedded PGlite database in `<dataDir>/db`. */
  readonly database: { readonly url?: string; readonly poolSize: number }
  /** `url` unset = the in-process bus. */
  readonly redis: { readonly url?: string; readonly prefix: string }
  /** `endpoint` unset = local-disk storage in `<dataDir>/storage`. */
  readonly s3: {
    readonly endpoint?: string
    readonly accessKey?: string
    readonly secretKey?: string
    readonly bucket?: string
    readonly region: string
  }
  /** Object storage limits (a bucket may set a lower `maxFileSize`). */
  readonly storage: { readonly maxFileSize: number }
  readonly log: {
    readonly level: (typeof LOG_LEVELS)[number]
    /** Unset: pretty on a terminal, JSON otherwise (decided where the logger is made). */
    readonly format?: 'json' | 'pretty'
  }
  readonly relay: {
    readonly batchSize: number
    readonly pollMs: number
    /** While nothing happens, the fallback poll backs off from `pollMs` up to this (never below `pollMs`). */
    readonly pollMaxMs: number
    /** After a publish, how long the next cycle waits for more events (RELAY_LINGER_MS). */
    readonly lingerMs: number
  }
  /** Cleanup on worker nodes (services/maintenance). */
  readonly housekeeping: {
    readonly intervalMs: number
    /** Published outbox events older than this are deleted (a realtime `since` before them is refused). */
    readonly outboxRetentionHours: number
  }
  /** Per-minute rollups, the nodes registry and trace export (services/observability). */
  readonly observability: {
    readonly rollup: boolean
    readonly flushMs: number
    readonly retentionDays: number
    /** OTLP/HTTP collector base URL; unset = no OpenTelemetry export (no OTel code loaded). */
    readonly otlpEndpoint?: string
    /** `service.name` of exported spans. */
    readonly serviceName: string
  }
  readonly functions: {
    /** Idle isolates kept warm per function version per process. */
    readonly warmPoolSize: number
    /** An idle isolate unused this long is disposed. */
    readonly idleMs: number
    /** Function jobs (event, queue, schedule) run at once per worker process; 0 = this process runs none. */
    readonly workers: number
    /** Delay before the first retry of a failed event/queue/schedule execution; doubles each retry. */
    readonly retryBackoffMs: number
    /** Redis jobs: how long a job's lock lasts; a job whose process died runs again after about this long. */
    readonly jobLockMs: number
    /** Executions older than this are deleted. */
    readonly executionRetentionHours: number
    /** `ctx.log` lines kept per execution, and the length each line is cut to. */
    readonly logLines: number
    readonly logLineLength: number
    /** Whether functions get a global `fetch` (outbound HTTP from the worker). */
    readonly allowFetch: boolean
    /**
     * Most bytes that cross the sandbox's boundary in one piece: a result, a ctx call's body, what a
     * ctx call or `fetch` answers. Larger ones are refused (`functions/result-too-large`, `request/too-large`).
     */
    readonly maxPayloadBytes: number
    /** The largest `memoryMb` a function may be deployed with, and the most any isolate here gets. */
    readonly maxMemoryMb: number
    /** Events per second one replay (backfill) runs. */
    readonly replayRate: number
    /** The reconciler: pass interval (0 = off), grace before redelivery, events read per pass. */
    readonly reconcile: { readonly intervalMs: number; readonly graceMs: number; readonly batch: number }
  }
  readonly queue: {
    /** How long a `dedupId` is remembered per queue. */
    readonly dedupSeconds: number
  }
  readonly auth: {
    readonly accessTokenTtlSeconds: number
    readonly redirectUrls: readonly string[]
    /** Lifetime of each refresh token (every refresh issues a new one). */
    readonly refreshTokenTtlSeconds: number
    /** Where links in auth mail point (`<siteUrl>#type=recovery&token=…`); unset = the token alone. */
    readonly siteUrl?: string
    /** Mail a verification token on sign-up and on an email change. */
    readonly emailVerification: boolean
    /**
     * How long a node may answer GET /auth/v1/user from memory; a change made through another node
     * shows within this time (this node's own changes show at once). 0 = read the database every time.
     */
    readonly userCacheMs: number
    /**
     * How long a node trusts its list of revoked sessions: the bound on how long an access token keeps
     * working anywhere after its session ends. 0 = read it on every request.
     */
    readonly revocationCheckMs: number
    /**
     * The public base URL of this API as browsers reach it (OAuth providers redirect to
     * `<externalUrl>/auth/v1/callback`); unset = taken from each request's Host (and X-Forwarded-*
     * behind a trusted proxy).
     */
    readonly externalUrl?: string
    /**
     * Base64 of the 32-byte key that encrypts OAuth client secrets and TOTP secrets at rest. Unset: the
     * embedded mode generates one into `<dataDir>/keys/`; with DATABASE_URL, storing a secret fails.
     */
    readonly encryptionKey?: string
    /**
     * Requests per client IP per window on each rate-limited auth action; 0 = unlimited. Counted in
     * Redis when it is configured, so the limits hold across nodes.
     */
    readonly rateLimit: {
      readonly windowSeconds: number
      readonly signup: number
      readonly signin: number
      /**
       * Failed password sign-ins per account (per normalised email, known or not) from any IP; counted
       * by auth itself (services/auth/signin-throttle.ts), not by the per-route limiter.
       */
      readonly signinAccount: number
      readonly refresh: number
      readonly recover: number
      /** OAuth sign-ins started (GET /auth/v1/authorize), per client IP. */
      readonly oauth: number
      /** MFA code attempts, per user (not per IP: spreading guesses over addresses does not help). */
      readonly mfa: number
    }
  }
  /** Admin accounts and their console sessions (/admin/v1/session). */
  readonly admin: {
    /** How long a console session lasts. */
    readonly sessionTtlSeconds: number
  }
  /** `smtpUrl` unset = the dev mailbox (a database table read at GET /admin/v1/mail). */
  readonly mail: { readonly smtpUrl?: string; readonly from: string }
  /** The document database (/db/v1). */
  readonly documents: {
    /** Larger documents (their JSON, in bytes) are refused with 413 `db/too-large`. */
    readonly maxDocumentBytes: number
    /** Deeper nesting (objects and arrays) is refused with 400 `db/invalid-document`. */
    readonly maxDepth: number
    /**
     * How long a node may use a collection's configuration (rules, schema) from memory; a change made
     * through another node applies within this time (this node's own changes apply at once).
     */
    readonly configCacheMs: number
    /**
     * Rows a list query may examine per page when the read rule filters documents one by one: a page
     * can then come back short (even empty) with a `nextCursor` to continue from.
     */
    readonly listMaxScan: number
  }
  /** Realtime (`/realtime/v1`) limits, per node. */
  readonly realtime: {
    /** The most events a `since` replay may cover; beyond it → `realtime/replay-too-large`. */
    readonly maxReplay: number
    /** WebSocket ping interval; a connection that answers none of two pings in a row is dropped. */
    readonly heartbeatMs: number
    /** Bytes queued for one connection before it is closed (4008) as a slow consumer. */
    readonly maxBufferedBytes: number
    /** Subscriptions per connection. */
    readonly maxSubscriptions: number
  }
}

function parseVariables(env: Readonly<Record<string, string | undefined>>): Parsed {
  const out: Record<string, unknown> = {}
  for (const name of CONFIG_VARIABLES) {
    const spec = VARIABLES[name]
    const raw = env[name]
    const value = raw === undefined || raw === '' ? spec.default : raw
    if (value === undefined) {
      out[name] = undefined
      continue
    }
    const result = (spec.schema as z.ZodType).safeParse(value)
    if (!result.success) {
      throw new ConfigError(name, result.error.issues[0]?.message ?? 'is invalid', value)
    }
    out[name] = result.data
  }
  return out as Parsed
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Parses and validates the configuration from an environment-like record (tests pass their own;
 * nothing reads `process.env` but the entry point). Throws `ConfigError` naming the first bad variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  const v = parseVariables(env)
  const s3Given = [v.S3_ENDPOINT, v.S3_ACCESS_KEY, v.S3_SECRET_KEY, v.S3_BUCKET]
  if (s3Given.some((x) => x !== undefined) && s3Given.some((x) => x === undefined)) {
    const missing = (['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET'] as const).find(
      (name) => v[name] === undefined,
    )!
    throw new ConfigError(missing, 'must be set when any S3_* variable is set', '')
  }
  return deepFreeze({
    server: {
      host: v.HOST,
      port: v.PORT,
      bodyLimit: v.BODY_LIMIT_BYTES,
      corsOrigins: v.CORS_ORIGINS,
      trustProxy: v.TRUST_PROXY,
      shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    },
    dataDir: path.resolve(cwd, v.STRATUS_DATA_DIR),
    database: { url: v.DATABASE_URL, poolSize: v.DATABASE_POOL_SIZE },
    redis: { url: v.REDIS_URL, prefix: v.REDIS_PREFIX },
    s3: {
      endpoint: v.S3_ENDPOINT,
      accessKey: v.S3_ACCESS_KEY,
      secretKey: v.S3_SECRET_KEY,
      bucket: v.S3_BUCKET,
      region: v.S3_REGION,
    },
    storage: { maxFileSize: v.STORAGE_MAX_FILE_SIZE },
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    relay: {
      batchSize: v.RELAY_BATCH_SIZE,
      pollMs: v.RELAY_POLL_MS,
      pollMaxMs: Math.max(v.RELAY_POLL_MS, v.RELAY_POLL_MAX_MS),
      lingerMs: v.RELAY_LINGER_MS,
    },
    housekeeping: {
      intervalMs: v.HOUSEKEEPING_INTERVAL_SECONDS * 1000,
      outboxRetentionHours: v.OUTBOX_RETENTION_HOURS,
    },
    observability: {
      rollup: v.METRICS_ROLLUP,
      flushMs: v.METRICS_FLUSH_MS,
      retentionDays: v.METRICS_RETENTION_DAYS,
      otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: v.OTEL_SERVICE_NAME,
    },
    functions: {
      warmPoolSize: v.FUNCTIONS_WARM_POOL_SIZE,
      idleMs: v.FUNCTIONS_IDLE_MS,
      workers: v.FUNCTIONS_WORKERS,
      retryBackoffMs: v.FUNCTIONS_RETRY_BACKOFF_MS,
      jobLockMs: v.FUNCTIONS_JOB_LOCK_MS,
      executionRetentionHours: v.FUNCTIONS_EXECUTION_RETENTION_HOURS,
      logLines: v.FUNCTIONS_LOG_LINES,
      logLineLength: v.FUNCTIONS_LOG_LINE_LENGTH,
      allowFetch: v.FUNCTIONS_ALLOW_FETCH,
      maxPayloadBytes: v.FUNCTIONS_MAX_PAYLOAD_BYTES,
      maxMemoryMb: v.FUNCTIONS_MAX_MEMORY_MB ?? defaultMaxMemoryMb(),
      replayRate: v.FUNCTIONS_REPLAY_RATE,
      reconcile: {
        intervalMs: v.FUNCTIONS_RECONCILE_INTERVAL_MS,
        graceMs: v.FUNCTIONS_RECONCILE_GRACE_MS,
        batch: v.FUNCTIONS_RECONCILE_BATCH,
      },
    },
    queue: { dedupSeconds: v.QUEUE_DEDUP_SECONDS },
    auth: {
      accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
      redirectUrls: v.AUTH_REDIRECT_URLS,
      refreshTokenTtlSeconds: v.REFRESH_TOKEN_TTL_SECONDS,
      siteUrl: v.AUTH_SITE_URL,
      emailVerification: v.AUTH_EMAIL_VERIFICATION,
      userCacheMs: v.AUTH_USER_CACHE_MS,
      revocationCheckMs: v.AUTH_REVOCATION_CHECK_MS,
      externalUrl: v.AUTH_EXTERNAL_URL,
      encryptionKey: v.AUTH_ENCRYPTION_KEY,
      rateLimit: {
        windowSeconds: v.RATE_LIMIT_WINDOW_SECONDS,
        signup: v.RATE_LIMIT_SIGNUP,
        signin: v.RATE_LIMIT_SIGNIN,
        signinAccount: v.RATE_LIMIT_SIGNIN_ACCOUNT,
        refresh: v.RATE_LIMIT_REFRESH,
        recover: v.RATE_LIMIT_RECOVER,
        oauth: v.RATE_LIMIT_OAUTH,
        mfa: v.RATE_LIMIT_MFA,
      },
    },
    admin: { sessionTtlSeconds: v.ADMIN_SESSION_TTL_SECONDS },
    mail: { smtpUrl: v.SMTP_URL, from: v.MAIL_FROM },
    documents: {
      maxDocumentBytes: v.DB_MAX_DOCUMENT_BYTES,
      maxDepth: v.DB_MAX_DEPTH,
      configCacheMs: v.DB_CONFIG_CACHE_MS,
      listMaxScan: v.DB_LIST_MAX_SCAN,
    },
    realtime: {
      maxReplay: v.REALTIME_MAX_REPLAY,
      heartbeatMs: v.REALTIME_HEARTBEAT_MS,
      maxBufferedBytes: v.REALTIME_MAX_BUFFER_BYTES,
      maxSubscriptions: v.REALTIME_MAX_SUBSCRIPTIONS,
    },
  })
}
