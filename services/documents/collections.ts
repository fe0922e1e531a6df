import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsPlugin from 'ajv-formats'
import { StratusError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Database, Sql } from '../db/database.ts'
import { type Rule, RuleSyntaxError, type RulesEvaluator } from '../rules/rules.ts'
import { type IndexDeclaration, parseIndexes, syncIndexes } from './indexes.ts'

// ajv-formats is CommonJS with a default export; under NodeNext its default is the module object.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv

/** The four actions a collection's rules govern. */
export const RULE_ACTIONS = ['read', 'create', 'update', 'delete'] as const
export type RuleAction = (typeof RULE_ACTIONS)[number]

/** Rules as an admin sets them: CEL sources or booleans; an absent action is `false`. */
export type CollectionRules = Record<RuleAction, string | boolean>

/** A collection's configuration as the admin API shows it. */
export interface CollectionConfig {
  name: string
  rules: CollectionRules
  schema: Record<string, unknown> | null
  indexes: IndexDeclaration[]
  /** Grows by 1 per change. */
  version: number
  createdAt: string
  updatedAt: string
}

/** What an admin sends to PUT /admin/v1/collections/{col}. */
export interface CollectionInput {
  rules: Partial<CollectionRules>
  schema?: Record<string, unknown> | null
  indexes?: IndexDeclaration[]
}

/** A configuration ready to use: rules compiled, the schema's validator compiled (once per version). */
export interface ActiveCollection {
  config: CollectionConfig
  rules: Record<RuleAction, Rule>
  /** Null when the collection has no schema. */
  validate: ValidateFunction | null
}

interface CollectionRow extends Record<string, unknown> {
  name: string
  rules: CollectionRules
  schema: Record<string, unknown> | null
  indexes: IndexDeclaration[]
  version: number
  created_at: Date
  updated_at: Date
}

const COLUMNS = 'name, rules, schema, indexes, version, created_at, updated_at'

function toConfig(row: CollectionRow): CollectionConfig {
  return {
    name: row.name,
    rules: row.rules,
    schema: row.schema,
    indexes: row.indexes,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

function newAjv(): Ajv {
  // Admin-written schemas: unknown keywords (examples, titles of other vocabularies) are tolerated,
  // structural mistakes are not (compile validates against the meta-schema).
  return addFormats(new Ajv({ allErrors: true, strict: false }))
}

/** A JSON Schema violation as the 422 reports it. */
export function schemaErrors(errors: readonly ErrorObject[] | null | undefined) {
  return (errors ?? []).slice(0, 20).map((e) => ({
    path: e.instancePath || '/',
    message: e.message ?? 'is invalid',
    keyword: e.keyword,
    params: e.params,
  }))
}

/**
 * Collection configurations: stored in `db_collections`, kept in memory for `cacheMs` (a change made
 * through this node applies at once, one made through another within `cacheMs`), compiled once per
 * version.
 */
export class Collections {
  private readonly db: Database
  private readonly rules: RulesEvaluator
  private readonly logger: Logger
  private readonly cacheMs: number
  private readonly cache = new Map<string, { at: number; value: Promise<ActiveCollection | null> }>()
  /** The last configuration compiled per collection, reused while its version stands (whatever cacheMs). */
  private readonly compiled = new Map<string, ActiveCollection>()

  constructor(options: { db: Database; rules: RulesEvaluator; logger: Logger; cacheMs: number }) {
    this.db = options.db
    this.rules = options.rules
    this.logger = options.logger
    this.cacheMs = options.cacheMs
  }

  /** The active configuration of `name`, or null when it has none (only the service key may use it). */
  get(name: string): Promise<ActiveCollection | null> {
    const now = Date.now()
    const hit = this.cache.get(name)
    if (hit && now - hit.at < this.cacheMs) return hit.value
    const value = this.load(name)
    if (this.cacheMs > 0) {
      if (this.cache.size >= 10_000 && !hit) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(name, { at: now, value })
      value.catch(() => this.cache.delete(name))
    }
    return value
  }

  private async load(name: string): Promise<ActiveCollection | null> {
    const [row] = await this.db.query<CollectionRow>(
      `SELECT ${COLUMNS} FROM db_collections WHERE name = $1`,
      [name],
    )
    if (!row) {
      this.compiled.delete(name)
      return null
    }
    const config = toConfig(row)
    const before = this.compiled.get(name)
    // A deleted and re-created collection starts again at version 1: its creation time tells them apart.
    if (before && before.config.version === config.version && before.config.createdAt === config.createdAt) {
      return before
    }
    const active = this.activate(config)
    if (this.compiled.size >= 10_000 && !before) this.compiled.delete(this.compiled.keys().next().value!)
    this.compiled.set(name, active)
    return active
  }

  private activate(config: CollectionConfig): ActiveCollection {
    const rules = {} as Record<RuleAction, Rule>
    for (const action of RULE_ACTIONS) rules[action] = this.rules.compile(config.rules[action] ?? false)
    return { config, rules, validate: config.schema ? newAjv().compile(config.schema) : null }
  }

  /** Every configured collection. */
  async list(): Promise<CollectionConfig[]> {
    const rows = await this.db.query<CollectionRow>(`SELECT ${COLUMNS} FROM db_collections ORDER BY name`)
    return rows.map(toConfig)
  }

  /** The stored configuration of `name`, or null. */
  async read(name: string, sql: Sql = this.db): Promise<CollectionConfig | null> {
    const [row] = await sql.query<CollectionRow>(`SELECT ${COLUMNS} FROM db_collections WHERE name = $1`, [
      name,
    ])
    return row ? toConfig(row) : null
  }

  /**
   * Checks a configuration without storing it (what `put` checks first): rules compile, the schema
   * compiles, the indexes parse; a bad one is a 400 `request/invalid` naming it.
   */
  check(input: CollectionInput): {
    rules: CollectionRules
    schema: Record<string, unknown> | null
    indexes: IndexDeclaration[]
    wanted: ReturnType<typeof parseIndexes>
  } {
    const rules = {} as CollectionRules
    for (const action of RULE_ACTIONS) {
      const source = input.rules[action] ?? false
      try {
        this.rules.compile(source)
      } catch (error) {
        if (!(error instanceof RuleSyntaxError)) throw error
        throw new StratusError('request/invalid', `rules.${action}: ${error.message}`, {
          details: { field: `rules.${action}`, rule: source },
        })
      }
      rules[action] = source
    }
    const schema = input.schema ?? null
    if (schema !== null) {
      try {
        newAjv().compile(schema)
      } catch (error) {
        throw new StratusError('request/invalid', `schema: ${(error as Error).message}`, {
          details: { field: 'schema' },
        })
      }
    }
    const indexes = input.indexes ?? []
    const wanted = parseIndexes(indexes)
    return { rules, schema, indexes, wanted }
  }

  /**
   * Sets a collection's configuration. Rules are compiled and the schema compiled before anything is
   * stored (see `check`); declared indexes are built before the new configuration is saved, and
   * indexes no longer declared are dropped after.
   */
  async put(name: string, input: CollectionInput): Promise<CollectionConfig> {
    const { rules, schema, indexes, wanted } = this.check(input)
    const before = await this.read(name)
    const previous = before ? parseIndexes(before.indexes) : []
    await syncIndexes(this.db, this.logger, name, wanted, [])
    const [row] = await this.db.query<CollectionRow>(
      `INSERT INTO db_collections (name, rules, schema, indexes) VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb)
       ON CONFLICT (name) DO UPDATE SET rules = EXCLUDED.rules, schema = EXCLUDED.schema,
         indexes = EXCLUDED.indexes, version = db_collections.version + 1, updated_at = now()
       RETURNING ${COLUMNS}`,
      [name, JSON.stringify(rules), schema === null ? null : JSON.stringify(schema), JSON.stringify(indexes)],
    )
    this.cache.delete(name)
    await syncIndexes(this.db, this.logger, name, wanted, previous)
    return toConfig(row!)
  }

  /** Removes a collection's configuration and its declared indexes; true if it had one. */
  async remove(name: string): Promise<boolean> {
    const [row] = await this.db.query<CollectionRow>(
      `DELETE FROM db_collections WHERE name = $1 RETURNING ${COLUMNS}`,
      [name],
    )
    this.cache.delete(name)
    if (!row) return false
    await syncIndexes(this.db, this.logger, name, [], parseIndexes(row.indexes))
    return true
  }

  /**
   * Renames collection `from` to `to` with every document, in one transaction (no document events:
   * the documents do not change, only their collection's name); then rebuilds the declared indexes
   * under the new name (they are partial on the collection). 409 `db/already-exists` when `to` is
   * configured or holds documents; 404 `db/not-found` when `from` is neither.
   */
  async rename(from: string, to: string): Promise<void> {
    const moved = await this.db.tx(async (tx) => {
      const [taken] = await tx.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM db_collections WHERE name = $1)::int
              + (SELECT count(*) FROM (SELECT 1 FROM documents WHERE collection = $1 LIMIT 1) d)::int AS n`,
        [to],
      )
      if (taken!.n > 0) throw new StratusError('db/already-exists', `Collection ${to} already exists`)
      const [config] = await tx.query<CollectionRow>(
        `UPDATE db_collections SET name = $2, version = version + 1, updated_at = now() WHERE name = $1
         RETURNING ${COLUMNS}`,
        [from, to],
      )
      const docs = await tx.query<{ n: number }>(
        'WITH moved AS (UPDATE documents SET collection = $2 WHERE collection = $1 RETURNING 1) SELECT count(*)::int AS n FROM moved',
        [from, to],
      )
      if (!config && docs[0]!.n === 0) throw new StratusError('db/not-found', `No collection ${from}`)
      return config ? parseIndexes(config.indexes) : []
    })
    this.cache.delete(from)
    this.cache.delete(to)
    await syncIndexes(this.db, this.logger, to, moved, [])
    await syncIndexes(this.db, this.logger, from, [], moved)
  }

  /** Forgets what this node remembers of `name` (after a change). */
  forget(name: string): void {
    this.cache.delete(name)
  }
}
