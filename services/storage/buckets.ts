import { StratusError } from '../core/errors.ts'
import type { Row, Sql } from '../db/database.ts'
import { RuleSyntaxError, type RulesEvaluator } from '../rules/rules.ts'
import { checkBucketName } from './names.ts'
import { BUCKET_COLUMNS, type Bucket, type BucketRow, type BucketRules, toBucket } from './records.ts'

/** What `PUT /admin/v1/buckets/{bucket}` may set; absent fields take their defaults (PUT replaces). */
export interface BucketInput {
  public?: boolean
  rules?: BucketRules
  maxFileSize?: number | null
  allowedContentTypes?: string[]
}

/** A bucket's settings once checked: ready to store. */
export interface BucketSettings {
  public: boolean
  rules: BucketRules
  maxFileSize: number | null
  allowedContentTypes: string[]
}

const RULE_ACTIONS = ['read', 'write', 'delete'] as const

/** `type/subtype`, `type/*` or `*\/*`, lower-cased, without parameters. */
const MEDIA_PATTERN = /^([a-z0-9][a-z0-9!#$&^_.+-]*|\*)\/([a-z0-9][a-z0-9!#$&^_.+-]*|\*)$/

const invalid = (message: string, details?: unknown) =>
  new StratusError('request/invalid', message, { details })

/** Checks a bucket's settings: every rule must compile, every content-type pattern must be well-formed. */
export function checkBucketSettings(input: BucketInput, rules: RulesEvaluator): BucketSettings {
  const checkedRules: BucketRules = {}
  for (const action of RULE_ACTIONS) {
    const source = input.rules?.[action]
    if (source === undefined) continue
    try {
      rules.compile(source)
    } catch (error) {
      if (error instanceof RuleSyntaxError)
        throw invalid(`The ${action} rule does not compile: ${error.message}`, {
          rule: action,
          error: error.message,
        })
      throw error
    }
    checkedRules[action] = source
  }
  const allowedContentTypes = (input.allowedContentTypes ?? []).map((type) => type.trim().toLowerCase())
  for (const type of allowedContentTypes) {
    if (!MEDIA_PATTERN.test(type) || (type.startsWith('*/') && type !== '*/*'))
      throw invalid(`"${type}" is not a media type or a type/* pattern`, { field: 'allowedContentTypes' })
  }
  return {
    public: input.public ?? false,
    rules: checkedRules,
    maxFileSize: input.maxFileSize ?? null,
    allowedContentTypes: [...new Set(allowedContentTypes)],
  }
}

/** The media type of a `content-type` value (no parameters, lower-cased). */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase()
}

/** True when `contentType` is allowed by a bucket's list (an empty list allows any). */
export function contentTypeAllowed(allowed: readonly string[], contentType: string): boolean {
  if (allowed.length === 0) return true
  const type = mediaType(contentType)
  const major = type.split('/')[0]
  return allowed.some((pattern) => pattern === '*/*' || pattern === type || pattern === `${major}/*`)
}

/** A missing bucket: 404 `storage/not-found`. */
export const bucketNotFound = (name: string) => new StratusError('storage/not-found', `No bucket ${name}`)

/** Bucket settings in `storage_buckets` (the admin API). */
export class Buckets {
  private readonly db: Sql
  private readonly rules: RulesEvaluator
  private readonly maxFileSize: number

  /** `maxFileSize`: the platform cap (STORAGE_MAX_FILE_SIZE), which a bucket may only lower. */
  constructor(db: Sql, rules: RulesEvaluator, maxFileSize: number) {
    this.db = db
    this.rules = rules
    this.maxFileSize = maxFileSize
  }

  /** Checks a bucket's name and settings as `put` would, storing nothing: the settings `put` would store. */
  check(name: string, input: BucketInput): BucketSettings {
    checkBucketName(name)
    const settings = checkBucketSettings(input, this.rules)
    if (settings.maxFileSize !== null && settings.maxFileSize > this.maxFileSize)
      throw invalid(`maxFileSize may be at most ${this.maxFileSize}`, { field: 'maxFileSize' })
    return settings
  }

  /** Creates a bucket or replaces its settings (absent fields take their defaults). */
  async put(name: string, input: BucketInput): Promise<{ bucket: Bucket; created: boolean }> {
    const settings = this.check(name, input)
    const rows = await this.db.query<BucketRow & { created: boolean }>(
      `INSERT INTO storage_buckets (name, public, rules, max_file_size, allowed_content_types)
       VALUES ($1, $2, $3::jsonb, $4, $5::text[])
       ON CONFLICT (name) DO UPDATE SET public = EXCLUDED.public, rules = EXCLUDED.rules,
         max_file_size = EXCLUDED.max_file_size, allowed_content_types = EXCLUDED.allowed_content_types,
         updated_at = now()
       RETURNING ${BUCKET_COLUMNS}, (xmax = 0) AS created`,
      [
        name,
        settings.public,
        JSON.stringify(settings.rules),
        settings.maxFileSize,
        settings.allowedContentTypes,
      ],
    )
    const row = rows[0]!
    return { bucket: toBucket(row), created: row.created }
  }

  /** One bucket (404 `storage/not-found`). */
  async get(name: string): Promise<Bucket> {
    checkBucketName(name)
    const rows = await this.db.query<BucketRow>(
      `SELECT ${BUCKET_COLUMNS} FROM storage_buckets WHERE name = $1`,
      [name],
    )
    if (!rows[0]) throw bucketNotFound(name)
    return toBucket(rows[0])
  }

  /** Every bucket, by name. */
  async list(): Promise<Bucket[]> {
    const rows = await this.db.query<BucketRow>(`SELECT ${BUCKET_COLUMNS} FROM storage_buckets ORDER BY name`)
    return rows.map(toBucket)
  }

  /** Deletes an empty bucket (409 `storage/bucket-not-empty` while it holds objects). */
  async delete(name: string): Promise<void> {
    checkBucketName(name)
    const rows = await this.db.query<Row>(
      `DELETE FROM storage_buckets b WHERE name = $1
         AND NOT EXISTS (SELECT 1 FROM storage_objects o WHERE o.bucket = b.name)
       RETURNING name`,
      [name],
    )
    if (rows.length) return
    await this.get(name)
    throw new StratusError(
      'storage/bucket-not-empty',
      `Bucket ${name} still holds objects; delete them first`,
    )
  }
}
