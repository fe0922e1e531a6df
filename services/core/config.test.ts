import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts'

// One bad value per variable: every variable Stratus reads must refuse garbage with a message naming it.
const BAD_VALUES: Record<string, string> = {
  PORT: '70000',
  HOST: '   ',
  STRATUS_DATA_DIR: ' ',
  DATABASE_URL: 'mysql://localhost/x',
  DATABASE_POOL_SIZE: '0',
  REDIS_URL: 'http://localhost:6379',
  REDIS_PREFIX: 'has spaces',
  S3_ENDPOINT: 'ftp://minio',
  S3_ACCESS_KEY: ' ',
  S3_SECRET_KEY: ' ',
  S3_BUCKET: 'Bad_Bucket',
  S3_REGION: ' ',
  LOG_FORMAT: 'colourful',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317',
  OTEL_SERVICE_NAME: ' ',
  STORAGE_MAX_FILE_SIZE: '10GB',
  LOG_LEVEL: 'loud',
  BODY_LIMIT_BYTES: '12abc',
  CORS_ORIGINS: '',
  TRUST_PROXY: 'maybe',
  SHUTDOWN_TIMEOUT_MS: '-1',
  OUTBOX_RETENTION_HOURS: '0',
  HOUSEKEEPING_INTERVAL_SECONDS: 'hourly',
  METRICS_ROLLUP: 'sometimes',
  METRICS_FLUSH_MS: '10',
  METRICS_RETENTION_DAYS: '0',
  RELAY_BATCH_SIZE: '0',
  RELAY_POLL_MS: 'fast',
  RELAY_POLL_MAX_MS: '0',
  RELAY_LINGER_MS: '-1',
  ACCESS_TOKEN_TTL_SECONDS: '1',
  AUTH_REDIRECT_URLS: '',
  REFRESH_TOKEN_TTL_SECONDS: '5',
  AUTH_SITE_URL: 'not a url',
  AUTH_EMAIL_VERIFICATION: 'sometimes',
  AUTH_USER_CACHE_MS: '-5',
  AUTH_REVOCATION_CHECK_MS: '60001',
  RATE_LIMIT_SIGNIN_ACCOUNT: '-1',
  AUTH_EXTERNAL_URL: 'ftp://api.example',
  AUTH_ENCRYPTION_KEY: 'c2hvcnQ=',
  SMTP_URL: 'http://mail',
  MAIL_FROM: ' ',
  ADMIN_SESSION_TTL_SECONDS: '59',
  RATE_LIMIT_WINDOW_SECONDS: '0',
  RATE_LIMIT_SIGNUP: 'many',
  RATE_LIMIT_SIGNIN: '1.5',
  RATE_LIMIT_REFRESH: '-1',
  RATE_LIMIT_RECOVER: 'x',
  RATE_LIMIT_OAUTH: '-2',
  RATE_LIMIT_MFA: 'lots',
  REALTIME_MAX_REPLAY: '-1',
  REALTIME_HEARTBEAT_MS: '10',
  REALTIME_MAX_BUFFER_BYTES: '1MB',
  REALTIME_MAX_SUBSCRIPTIONS: '0',
  DB_MAX_DOCUMENT_BYTES: '1MiB',
  DB_MAX_DEPTH: '1',
  DB_CONFIG_CACHE_MS: '-5',
  DB_LIST_MAX_SCAN: '0',
  FUNCTIONS_WARM_POOL_SIZE: '-1',
  FUNCTIONS_IDLE_MS: '10',
  FUNCTIONS_WORKERS: 'lots',
  FUNCTIONS_RETRY_BACKOFF_MS: '1s',
  FUNCTIONS_JOB_LOCK_MS: '100',
  FUNCTIONS_EXECUTION_RETENTION_HOURS: '0',
  FUNCTIONS_LOG_LINES: '100000',
  FUNCTIONS_LOG_LINE_LENGTH: '8',
  FUNCTIONS_ALLOW_FETCH: 'perhaps',
  FUNCTIONS_MAX_PAYLOAD_BYTES: '100',
  FUNCTIONS_MAX_MEMORY_MB: '4',
  FUNCTIONS_REPLAY_RATE: '0',
  FUNCTIONS_RECONCILE_INTERVAL_MS: '-1',
  FUNCTIONS_RECONCILE_GRACE_MS: '10',
  FUNCTIONS_RECONCILE_BATCH: 'all',
  QUEUE_DEDUP_SECONDS: '0',
}

describe('configuration', () => {
  it('has working defaults for an empty environment (the embedded mode)', () => {
    const config = loadConfig({}, '/srv/app')
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 })
    expect(config.dataDir).toBe('/srv/app/.stratus')
    expect(config.functions.maxPayloadBytes).toBe(6 * 1024 * 1024)
    expect(config.functions.maxMemoryMb).toBeGreaterThanOrEqual(8)
    expect(config.functions.maxMemoryMb).toBeLessThanOrEqual(4096)
    expect(config.database.url).toBeUndefined()
    expect(config.redis.url).toBeUndefined()
    expect(config.s3.endpoint).toBeUndefined()
    expect(Object.isFrozen(config) && Object.isFrozen(config.server)).toBe(true)
  })

  it('reads the production variables', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/stratus',
      REDIS_URL: 'redis://cache:6379',
      S3_ENDPOINT: 'https://minio:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
      S3_BUCKET: 'stratus-objects',
      LOG_LEVEL: 'warn',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    })
    expect(config.server.port).toBe(9000)
    expect(config.database.url).toBe('postgres://u:p@db:5432/stratus')
    expect(config.s3).toMatchObject({
      endpoint: 'https://minio:9000',
      bucket: 'stratus-objects',
      region: 'us-east-1',
    })
    expect(config.server.corsOrigins).toEqual(['https://a.example', 'https://b.example'])
  })

  // Variables whose empty value means "use the default" have no bad value of the empty kind: those
  // listed with '' above are lists, where any string is a valid (possibly empty) list.
  const refusable = CONFIG_VARIABLES.filter((name) => BAD_VALUES[name] !== '')

  it('has a bad-value case for every variable it reads', () => {
    // A variable added without a case here fails this test: add its bad value above.
    const missing = CONFIG_VARIABLES.filter((name) => !(name in BAD_VALUES))
    expect(missing).toEqual([])
  })

  it.each(refusable)('refuses a bad %s with one line naming it', (name) => {
    const env: Record<string, string> = { [name]: BAD_VALUES[name]! }
    // S3 variables are all-or-nothing: give the others valid values so only the bad one is wrong.
    if (name.startsWith('S3_'))
      Object.assign(env, {
        S3_ENDPOINT: 'http://minio:9000',
        S3_ACCESS_KEY: 'a',
        S3_SECRET_KEY: 'b',
        S3_BUCKET: 'bucket',
        [name]: BAD_VALUES[name]!,
      })
    const error = (() => {
      try {
        loadConfig(env)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe(name)
    expect((error as ConfigError).message).toMatch(
      new RegExp(`^Invalid configuration: ${name} .+ \\(got ".*"\\)$`),
    )
    expect((error as ConfigError).message).not.toContain('\n')
  })

  it('refuses a partial S3 configuration, naming the missing variable', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(
      /S3_ACCESS_KEY must be set when any S3_\* variable is set/,
    )
  })
})
