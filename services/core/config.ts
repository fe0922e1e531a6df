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

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

/** Every variable Stratus reads: its parser and its default (a string, parsed like a user's value). */
const VARIABLES = {
  PORT: { schema: int(0, 65535), default: '8080' },
  HOST: { schema: nonEmpty, default: '127.0.0.1' },
  STRATUS_DATA_DIR: { schema: nonEmpty, default: './.stratus' },
  DATABASE_URL: { schema: url(['postgres:', 'postgresql:']), default: undefined },
  DATABASE_POOL_SIZE: { schema: int(1, 500), default: '10' },
  REDIS_URL: { schema: url(['redis:', 'rediss:']), default: undefined },
  REDIS_PREFIX: {
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_-]'),
    default: 'stratus',
  },
  S3_ENDPOINT: { schema: url(['http:', 'https:']), default: undefined },
  S3_ACCESS_KEY: { schema: nonEmpty, default: undefined },
  S3_SECRET_KEY: { schema: nonEmpty, default: undefined },
  S3_BUCKET: {
    schema: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    default: undefined,
  },
  S3_REGION: { schema: nonEmpty, default: 'us-east-1' },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
  },
  BODY_LIMIT_BYTES: { schema: int(1024, 1024 * 1024 * 1024), default: String(2 * 1024 * 1024) },
  CORS_ORIGINS: { schema: list, default: '*' },
  TRUST_PROXY: { schema: bool, default: 'false' },
  SHUTDOWN_TIMEOUT_MS: { schema: int(0, 600_000), default: '10000' },
  RELAY_BATCH_SIZE: { schema: int(1, 10_000), default: '500' },
  RELAY_POLL_MS: { schema: int(1, 60_000), default: '25' },
  ACCESS_TOKEN_TTL_SECONDS: { schema: int(10, 7 * 24 * 3600), default: '3600' },
  AUTH_REDIRECT_URLS: { schema: list, default: '' },
  REFRESH_TOKEN_TTL_SECONDS: { schema: int(60, 365 * 24 * 3600), default: String(30 * 24 * 3600) },
  AUTH_SITE_URL: { schema: url(['http:', 'https:']), default: undefined },
  AUTH_EMAIL_VERIFICATION: { schema: bool, default: 'false' },
  AUTH_USER_CACHE_MS: { schema: int(0, 60_000), default: '1000' },
  SMTP_URL: { schema: url(['smtp:', 'smtps:']), default: undefined },
  MAIL_FROM: { schema: nonEmpty, default: 'Stratus <no-reply@localhost>' },
  RATE_LIMIT_WINDOW_SECONDS: { schema: int(1, 24 * 3600), default: '300' },
  RATE_LIMIT_SIGNUP: { schema: int(0, 1_000_000), default: '30' },
  RATE_LIMIT_SIGNIN: { schema: int(0, 1_000_000), default: '30' },
  RATE_LIMIT_REFRESH: { schema: int(0, 1_000_000), default: '150' },
  RATE_LIMIT_RECOVER: { schema: int(0, 1_000_000), default: '5' },
} as const

type Variables = typeof VARIABLES
type VariableName = keyof Variables
type Parsed = {
  [K in VariableName]: Variables[K]['default'] extends string
    ? z.output<Variables[K]['schema']>
    : z.output<Variables[K]['schema']> | undefined
}

/** The names of every environment variable Stratus reads, for documentation and tests. */
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as VariableName[]

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
  readonly log: { readonly level: (typeof LOG_LEVELS)[number] }
  readonly relay: { readonly batchSize: number; readonly pollMs: number }
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
     * Requests per client IP per window on each rate-limited auth action; 0 = unlimited. Counted in
     * Redis when it is configured, so the limits hold across nodes.
     */
    readonly rateLimit: {
      readonly windowSeconds: number
      readonly signup: number
      readonly signin: number
      readonly refresh: number
      readonly recover: number
    }
  }
  /** `smtpUrl` unset = the dev mailbox (a database table read at GET /admin/v1/mail). */
  readonly mail: { readonly smtpUrl?: string; readonly from: string }
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
    log: { level: v.LOG_LEVEL },
    relay: { batchSize: v.RELAY_BATCH_SIZE, pollMs: v.RELAY_POLL_MS },
    auth: {
      accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
      redirectUrls: v.AUTH_REDIRECT_URLS,
      refreshTokenTtlSeconds: v.REFRESH_TOKEN_TTL_SECONDS,
      siteUrl: v.AUTH_SITE_URL,
      emailVerification: v.AUTH_EMAIL_VERIFICATION,
      userCacheMs: v.AUTH_USER_CACHE_MS,
      rateLimit: {
        windowSeconds: v.RATE_LIMIT_WINDOW_SECONDS,
        signup: v.RATE_LIMIT_SIGNUP,
        signin: v.RATE_LIMIT_SIGNIN,
        refresh: v.RATE_LIMIT_REFRESH,
        recover: v.RATE_LIMIT_RECOVER,
      },
    },
    mail: { smtpUrl: v.SMTP_URL, from: v.MAIL_FROM },
  })
}
