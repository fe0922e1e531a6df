import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Manifest, validateManifest, validateManifestFile } from './manifest.ts'
import { renderSchemaFile, SCHEMA_FILE_PATH } from './schema-file.ts'

const root = path.resolve(import.meta.dirname, '../..')

const full: Manifest = {
  collections: {
    orders: {
      rules: { read: 'auth != null', create: true, update: false },
      schema: { type: 'object', properties: { status: { type: 'string' } } },
      indexes: [
        ['status', 'asc'],
        [
          ['status', 'asc'],
          ['createdAt', 'desc'],
        ],
      ],
      renamedFrom: 'old_orders',
      protect: true,
    },
  },
  buckets: {
    avatars: {
      public: false,
      rules: { read: 'true' },
      maxFileSize: 1024,
      allowedContentTypes: ['image/png'],
    },
  },
  queues: { emails: { rules: { publish: 'auth != null' }, protect: true } },
  functions: {
    resize: {
      code: 'export default async () => 1',
      triggers: [
        { type: 'queue', queue: 'emails' },
        { type: 'event', event: 'db.document.created' },
      ],
      env: { MODE: 'prod' },
      timeoutMs: 3000,
      retries: 2,
    },
  },
  auth: {
    settings: { redirectUrls: ['https://app.example/*'] },
    providers: { google: { preset: 'google', clientId: 'id', clientSecret: 's' } },
  },
}

describe('validateManifest', () => {
  it('accepts the empty manifest and one using every section', () => {
    expect(validateManifest({})).toEqual([])
    expect(validateManifest(full)).toEqual([])
  })

  it.each([
    ['an unknown top-level key', { extra: 1 }, 'extra', 'is not a known key here'],
    [
      'an unknown collection key',
      { collections: { a: { rulez: {} } } },
      'collections.a.rulez',
      'is not a known key here',
    ],
    ['a bad collection name', { collections: { 'a b': {} } }, 'collections.a b', 'is not a valid name here'],
    [
      'a rule of the wrong type',
      { collections: { a: { rules: { read: 3 } } } },
      'collections.a.rules.read',
      'matches none of the allowed forms',
    ],
    [
      'a bucket setting of the wrong type',
      { buckets: { b: { public: 'yes' } } },
      'buckets.b.public',
      'must be boolean',
    ],
    [
      'a function without code',
      { functions: { f: { triggers: [] } } },
      'functions.f',
      "must have required property 'code'",
    ],
    [
      'an unknown trigger type',
      { functions: { f: { code: 'x', triggers: [{ type: 'cron' }] } } },
      'functions.f.triggers.0.type',
      'must be one of http, event, schedule, queue',
    ],
    [
      'an unknown trigger key',
      { functions: { f: { code: 'x', triggers: [{ type: 'http', path: '/' }] } } },
      'functions.f.triggers.0.path',
      'is not a known key here',
    ],
    [
      'a non-string env value',
      { functions: { f: { code: 'x', triggers: [], env: { A: 1 } } } },
      'functions.f.env.A',
      'must be string',
    ],
    [
      'a provider without a secret',
      { auth: { providers: { google: { clientId: 'x' } } } },
      'auth.providers.google',
      "must have required property 'clientSecret'",
    ],
    ['not an object', [], '(root)', 'must be object'],
  ])('refuses %s with its path', (_label, manifest, path, message) => {
    expect(validateManifest(manifest)).toContainEqual({ path, message })
  })

  it('reports every problem, not only the first', () => {
    expect(validateManifest({ a: 1, b: 2 })).toHaveLength(2)
  })

  it('tells the file form (source) from the wire form (code)', () => {
    const file = { functions: { f: { source: 'functions/f.ts', triggers: [{ type: 'http' }] } } }
    expect(validateManifestFile(file)).toEqual([])
    expect(validateManifest(file)).toContainEqual({
      path: 'functions.f.source',
      message: 'is not a known key here',
    })
    expect(validateManifestFile(full)).toContainEqual({
      path: 'functions.resize.code',
      message: 'is not a known key here',
    })
  })
})

describe(SCHEMA_FILE_PATH, () => {
  it('is what `npm run docs` generates from the manifest module (not stale)', () => {
    const committed = readFileSync(path.join(root, SCHEMA_FILE_PATH), 'utf8')
    expect(committed, `${SCHEMA_FILE_PATH} is stale: run \`npm run docs\``).toBe(renderSchemaFile())
  })
})
