import { Ajv, type ErrorObject } from 'ajv'
import type { ProviderInput } from '../auth/oauth/presets.ts'
import { putSchema as providerPut } from '../auth/routes/admin-auth-providers.ts'
import { settingsSchema as authSettingsBody } from '../auth/routes/admin-auth-settings.ts'
import type { IndexDeclaration } from '../documents/indexes.ts'
import { putSchema as collectionPut } from '../documents/routes/admin-collections.ts'
import type { Trigger } from '../functions/model.ts'
import { deploySchema } from '../functions/routes/admin-deploy.ts'
import { triggerSchema } from '../functions/routes/schemas.ts'
import { putSchema as queuePut } from '../queue/routes/admin-queues.ts'
import { bucketBodySchema } from '../storage/routes/schemas.ts'

// The app-as-code manifest (`stratus.yaml`) in its two forms. The FILE form is what a developer writes:
// functions name a `source` file. The WIRE form is what the CLI posts to POST /admin/v1/deployments: each
// function's source is bundled into `code`, and every `${env:NAME}` is replaced by its value. Each
// resource's settings embed the body its own admin route accepts, so the two can never disagree.

export type { IndexDeclaration, Trigger }

/** A rule: a CEL expression, or a constant `true`/`false`. */
export type Rule = string | boolean

/** What every named resource may also carry. */
export interface ResourceOptions {
  /** Never delete this resource, even with allowDestroy and prune. */
  protect?: boolean
}

/** A renameable resource: `renamedFrom` renames the live one (its data kept) instead of drop + create. */
export interface Renameable {
  renamedFrom?: string
}

/** A collection, as PUT /admin/v1/collections/{col} takes it (rules default to all false). */
export interface CollectionManifest extends ResourceOptions, Renameable {
  rules?: { read?: Rule; create?: Rule; update?: Rule; delete?: Rule }
  /** JSON Schema every document's data must satisfy; null or absent = none. */
  schema?: Record<string, unknown> | null
  indexes?: IndexDeclaration[]
}

/**
 * A bucket, as PUT /admin/v1/buckets/{bucket} takes it. `renamedFrom` is part of the shape so editors
 * complete it, but the server refuses it (400 `deployments/invalid-manifest`): objects are stored under
 * their bucket's name, and moving them is not a cheap or atomic step.
 */
export interface BucketManifest extends ResourceOptions, Renameable {
  public?: boolean
  rules?: { read?: string; write?: string; delete?: string }
  maxFileSize?: number | null
  allowedContentTypes?: string[]
}

/** A queue, as PUT /admin/v1/queues/{queue} takes it. */
export interface QueueManifest extends ResourceOptions {
  rules?: { publish?: Rule }
}

/** What a function declares besides its code, as PUT /admin/v1/functions/{name} takes it. */
export interface FunctionSettings extends ResourceOptions, Renameable {
  triggers: Trigger[]
  /** ctx.env; in the file, values may be `${env:NAME}` references the CLI resolves. */
  env?: Record<string, string>
  timeoutMs?: number
  memoryMb?: number
  concurrency?: number
  retries?: number
}

/** A function on the wire: its bundled ES module. */
export interface FunctionManifest extends FunctionSettings {
  code: string
}

/** A function in the file: the path of its source, relative to the project root. */
export interface FunctionFileManifest extends FunctionSettings {
  source: string
}

/** A sign-in provider, as PUT /admin/v1/auth/providers/{name} takes it. */
/** A sign-in provider as PUT /admin/v1/auth/providers/{name} takes it. */
export interface ProviderManifest extends ProviderInput {
  /** On the wire `••••` keeps the live secret (what GET /admin/v1/deployments/live shows). */
  clientSecret: string
}

/** Auth: the stored settings and the providers. */
export interface AuthManifest {
  settings?: { redirectUrls: string[] }
  providers?: Record<string, ProviderManifest>
}

/** The manifest with its functions of type F (every section optional). */
export interface ManifestOf<F> {
  /** Editors' schema hint (ignored). */
  $schema?: string
  collections?: Record<string, CollectionManifest>
  buckets?: Record<string, BucketManifest>
  queues?: Record<string, QueueManifest>
  functions?: Record<string, F>
  auth?: AuthManifest
}

/** The wire form: what POST /admin/v1/deployments takes as `manifest`. */
export type Manifest = ManifestOf<FunctionManifest>

/** The file form: `stratus.yaml` as written (functions name a `source`). */
export type ManifestFile = ManifestOf<FunctionFileManifest>

/** The kinds of resource a manifest declares. */
export type ResourceKind = 'collection' | 'bucket' | 'queue' | 'function' | 'authSettings' | 'authProvider'

/** What a deployment does to one resource. */
export type ChangeAction = 'create' | 'update' | 'delete' | 'rename'

/** One step of a plan. */
export interface Change {
  action: ChangeAction
  kind: ResourceKind
  name: string
  /** For a rename: the live name it had. */
  from?: string
  /** True when the step destroys data (documents, objects, messages, a function, a provider). */
  dataLoss: boolean
  /** For an update (or a rename that also changes settings): the top-level settings that differ. */
  fields?: string[]
}

/** The body of POST /admin/v1/deployments. */
export interface DeployRequest {
  manifest: Manifest
  allowDestroy?: boolean
  prune?: boolean
  dryRun?: boolean
}

/** POST /admin/v1/deployments: 201 `{id, hash, changes}`; with dryRun, 200 `{hash, changes}`. */
export interface DeployResult {
  id?: string
  hash: string
  changes: Change[]
}

/** One invalid spot of a manifest: a dotted path (`functions.resize.triggers.0.event`) and why. */
export interface ManifestProblem {
  path: string
  message: string
}

/** Secrets the API never shows back (function env values, provider client secrets). */
export const MASK = '••••'

// ---- JSON Schema ------------------------------------------------------------------------------------

const NAME = '^[A-Za-z0-9_-]{1,128}$'
const FUNCTION_NAME = deploySchema.params.properties.name.pattern
const QUEUE_NAME = queuePut.params.properties.queue.pattern
const BUCKET_NAME = '^[A-Za-z0-9_-]{1,63}$'
const PROVIDER_NAME = providerPut.params.properties.name.pattern

const protect = { type: 'boolean', description: 'never delete, even with allowDestroy and prune' } as const
const renamedFrom = (pattern: string, what: string) =>
  ({
    type: 'string',
    pattern,
    description: `the live ${what} this one was called before: renamed, keeping its data (never dropped and created)`,
  }) as const

/** A map of names to resources, names checked by `pattern`. */
function section(pattern: string, item: Record<string, unknown>, description: string) {
  return { type: 'object', description, propertyNames: { pattern }, additionalProperties: item } as const
}

const collectionBody = collectionPut.body
const collection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...collectionBody.properties,
    renamedFrom: renamedFrom(NAME, 'collection'),
    protect,
  },
} as const

const bucket = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...bucketBodySchema.properties,
    renamedFrom: {
      ...renamedFrom(BUCKET_NAME, 'bucket'),
      description: 'refused by the server: bucket objects cannot be moved cheaply and atomically',
    },
    protect,
  },
} as const

const queue = {
  type: 'object',
  additionalProperties: false,
  properties: { ...queuePut.body.properties, protect },
} as const

const deployProps = deploySchema.body.properties
const trigger = {
  type: 'object',
  required: ['type'],
  // Lets ajv report the errors of the branch `type` names instead of one per branch.
  discriminator: { propertyName: 'type' },
  oneOf: triggerSchema.oneOf,
} as const

function functionSchema(form: 'wire' | 'file') {
  const codeOrSource =
    form === 'wire'
      ? { code: { ...deployProps.code, description: 'the bundled ES module' } }
      : { source: { type: 'string', minLength: 1, description: 'the source file, bundled by the CLI' } }
  return {
    type: 'object',
    required: [form === 'wire' ? 'code' : 'source', 'triggers'],
    additionalProperties: false,
    properties: {
      ...codeOrSource,
      triggers: { type: 'array', maxItems: deployProps.triggers.maxItems, items: trigger },
      env: {
        ...deployProps.env,
        description:
          form === 'wire'
            ? `ctx.env; a value of ${MASK} keeps the live value`
            : // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's literal reference syntax
              'ctx.env; `${env:NAME}` is replaced by the CLI with its environment variable NAME',
      },
      timeoutMs: deployProps.timeoutMs,
      memoryMb: deployProps.memoryMb,
      concurrency: deployProps.concurrency,
      retries: deployProps.retries,
      renamedFrom: renamedFrom(FUNCTION_NAME, 'function'),
      protect,
    },
  } as const
}

const auth = {
  type: 'object',
  additionalProperties: false,
  properties: {
    settings: authSettingsBody,
    providers: section(PROVIDER_NAME, providerPut.body, 'sign-in providers by name'),
  },
} as const

/** The manifest's JSON Schema in one form (draft 7, as ajv and editors read it). */
export function manifestSchemaFor(form: 'wire' | 'file') {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: form === 'wire' ? 'Stratus deployment manifest' : 'stratus.yaml',
    description:
      'The app as code: collections, buckets, queues, functions and auth of one Stratus project. Every section is optional.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      collections: section(NAME, collection, 'collections by name'),
      buckets: section(BUCKET_NAME, bucket, 'buckets by name'),
      queues: section(QUEUE_NAME, queue, 'queues by name'),
      functions: section(FUNCTION_NAME, functionSchema(form), 'functions by name'),
      auth,
    },
  } as const
}

/** The wire form's schema (the route validates `manifest` against it). */
export const manifestSchema = manifestSchemaFor('wire')

/** The file form's schema, published as stratus.schema.json. */
export const manifestFileSchema = manifestSchemaFor('file')

// ---- Validation -------------------------------------------------------------------------------------

// No type coercion (unlike the gateway's ajv): a manifest is a document, not a query string.
const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true })
const validators = {
  wire: ajv.compile(manifestSchema),
  file: ajv.compile(manifestFileSchema),
}

/** Problems of `value` as a manifest of `form` (the wire form by default); empty when it is valid. */
export function validateManifest(value: unknown, form: 'wire' | 'file' = 'wire'): ManifestProblem[] {
  const validate = validators[form]
  if (validate(value)) return []
  return toProblems(validate.errors ?? [])
}

/** The file form's problems: what the CLI checks before bundling. */
export function validateManifestFile(value: unknown): ManifestProblem[] {
  return validateManifest(value, 'file')
}

/** ajv's errors as `{path, message}`, one per spot, naming the bad key itself for unknown keys. */
function toProblems(errors: ErrorObject[]): ManifestProblem[] {
  // An anyOf/oneOf failure also reports every branch's error at the same spot: keep the summary only.
  const summarised = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath),
  )
  const seen = new Set<string>()
  const problems: ManifestProblem[] = []
  for (const error of errors) {
    const composite = error.keyword === 'anyOf' || error.keyword === 'oneOf'
    if (!composite && summarised.has(error.instancePath)) continue
    const segments = error.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    let message = error.message ?? 'is invalid'
    if (error.keyword === 'additionalProperties') {
      const key = (error.params as { additionalProperty: string }).additionalProperty
      segments.push(key)
      message = 'is not a known key here'
    } else if (error.keyword === 'propertyNames') {
      const name = (error.params as { propertyName: string }).propertyName
      segments.push(name)
      message = 'is not a valid name here'
    } else if (error.keyword === 'pattern' && error.propertyName !== undefined) {
      continue // the propertyNames error above names the key
    } else if (error.keyword === 'discriminator') {
      segments.push('type')
      message = `must be one of ${triggerSchema.oneOf.map((t) => t.properties.type.const).join(', ')}`
    } else if (composite) {
      message = 'matches none of the allowed forms'
    }
    const path = segments.join('.')
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({ path: path === '' ? '(root)' : path, message })
  }
  return problems
}
