import { readFileSync } from 'node:fs'
import { compile, type JSONSchema } from 'json-schema-to-typescript'
import { EVENT_CATALOG, type EventType, eventTypesMatching } from '../../core/event-catalog.ts'
import { shapeCanMatch } from '../../core/subject-shape.ts'
import type { ManifestFile, Trigger } from '../../deployments/manifest.ts'
import { AppCliError } from './errors.ts'

/** The platform's event and ctx types, written first in every generated file. */
const PRELUDE = readFileSync(new URL('./handler-types.d.ts', import.meta.url), 'utf8')
  .replace(/^(\/\/.*\n)+\n/, '')
  .trimEnd()

/** Names the prelude and the generated maps take: a document type never reuses one. */
const RESERVED = new Set([
  ...[...PRELUDE.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]!),
  'Collections',
  'Queues',
  'FunctionEvents',
  'Handlers',
  'Context',
])

/** `orders` → `Order`, `order_items` → `OrderItem`, `categories` → `Category`: the document's type name. */
export function documentTypeName(collection: string): string {
  const words = collection.split(/[^A-Za-z0-9]+/).filter(Boolean)
  let name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') || 'Document'
  if (/ies$/.test(name) && name.length > 4) name = `${name.slice(0, -3)}y`
  else if (/[^sui]s$/.test(name) && name.length > 3) name = name.slice(0, -1)
  if (/^[0-9]/.test(name)) name = `C${name}`
  return RESERVED.has(name) ? `${name}Document` : name
}

const DOCUMENT_EVENTS: Partial<Record<EventType, string>> = {
  'db.document.created': 'DocumentCreated',
  'db.document.updated': 'DocumentUpdated',
  'db.document.deleted': 'DocumentDeleted',
}
const OTHER_EVENTS: Partial<Record<EventType, string>> = {
  'auth.user.created': 'UserCreated',
  'auth.user.updated': 'UserUpdated',
  'auth.user.deleted': 'UserDeleted',
  'storage.object.created': 'ObjectCreated',
  'storage.object.deleted': 'ObjectDeleted',
  'queue.message.published': 'QueueMessage',
}
/** A collection name no file can declare: a subject pattern that matches it reaches undeclared ones. */
const UNDECLARED = '~'

function literal(name: string): string {
  return JSON.stringify(name)
}

/** The event types one trigger hands its function, as TypeScript. */
function triggerEvents(trigger: Trigger, collections: string[], queues: Set<string>): string[] {
  switch (trigger.type) {
    case 'http':
      return ['HttpRequest']
    case 'schedule':
      return ['ScheduleTick']
    case 'queue': {
      const queue = trigger.queue
      return [queues.has(queue) ? `QueueMessage<Queues[${literal(queue)}]>` : 'QueueMessage']
    }
    case 'event': {
      const subject = trigger.subject
      const out: string[] = []
      for (const type of eventTypesMatching(trigger.event)) {
        const spec = EVENT_CATALOG[type]
        if (spec.internal || spec.delivery !== 'bus') continue
        const documentEvent = DOCUMENT_EVENTS[type]
        if (documentEvent) {
          const reaches = (name: string) =>
            !subject || shapeCanMatch(`collections/${name}/documents/{id}`, subject)
          for (const name of collections.filter(reaches))
            out.push(`${documentEvent}<Collections[${literal(name)}]>`)
          if (reaches(UNDECLARED)) out.push(`${documentEvent}<DocumentData>`)
        } else if (OTHER_EVENTS[type]) {
          out.push(OTHER_EVENTS[type]!)
        }
      }
      return out
    }
    default:
      return []
  }
}

function objectEntries<T>(section: Record<string, T> | undefined): [string, T][] {
  return Object.entries(section ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * TypeScript for a project, from its file alone (no server): one type per collection from its JSON
 * Schema (json-schema-to-typescript: nested objects, enums, optional vs required as the schema says),
 * `Collections` for `createClient<Collections>(url)` and `ctx.db`, the events each function's triggers
 * hand it (`FunctionEvents`) and its handler type (`Handlers`).
 */
export async function generateTypes(manifest: ManifestFile): Promise<string> {
  const collections = objectEntries(manifest.collections)
  const properties: Record<string, JSONSchema> = {}
  for (const [name, settings] of collections) {
    const schema = settings.schema
    if (schema === undefined || schema === null) {
      properties[name] = { tsType: 'DocumentData' }
    } else {
      // The derived name wins over a schema's own title, so `DocumentCreated<Order>` is predictable.
      properties[name] = { ...(schema as JSONSchema), title: documentTypeName(name) }
    }
  }
  let documents: string
  try {
    documents = await compile(
      {
        type: 'object',
        additionalProperties: false,
        required: Object.keys(properties),
        properties,
      },
      'Collections',
      {
        bannerComment: '/** Each collection of the file and the type of its documents' + "' `data`. */",
        format: true,
        strictIndexSignatures: false,
        // Offline, from the file alone: a $ref never reaches the network or the disk.
        $refOptions: { resolve: { http: false, file: false } },
      },
    )
  } catch (error) {
    throw new AppCliError(`a collection schema cannot be turned into types: ${(error as Error).message}`)
  }

  const queueNames = objectEntries(manifest.queues).map(([name]) => name)
  const collectionNames = collections.map(([name]) => name)
  const functionLines = objectEntries(manifest.functions).map(([name, fn]) => {
    const triggers = fn.triggers ?? []
    const events = [
      ...new Set(triggers.flatMap((t) => triggerEvents(t, collectionNames, new Set(queueNames)))),
    ]
    return `  ${literal(name)}: ${events.length ? events.join(' | ') : 'CloudEvent'}`
  })

  return [
    '// Generated by `stratus types` from stratus.yaml. Do not edit: change the file and run it again.',
    '',
    PRELUDE,
    '',
    documents.trimEnd(),
    '',
    '/** The queues of the file. Their payloads are not declared in it: `unknown` until checked. */',
    `export interface Queues {${queueNames.map((q) => `\n  ${literal(q)}: unknown`).join('')}${queueNames.length ? '\n' : ''}}`,
    '',
    "/** What each function's triggers hand it. */",
    `export interface FunctionEvents {${functionLines.map((l) => `\n${l}`).join('')}${functionLines.length ? '\n' : ''}}`,
    '',
    "/** `ctx` in this project's functions. */",
    'export type Context = FunctionContext<Collections>',
    '',
    "/** Each function's handler: `const handler: Handlers['resize'] = async (event, ctx) => …`. */",
    'export type Handlers = { [K in keyof FunctionEvents]: FunctionHandler<FunctionEvents[K], Collections> }',
    '',
  ].join('\n')
}
