import type { RouteOptions } from 'fastify'
import { describe, expect, it } from 'vitest'
import { transformDocument, transformRoute } from './openapi.ts'

const route = (method: string | string[], extra: Record<string, unknown> = {}) =>
  ({ method, url: '', handler: () => {}, ...extra }) as unknown as RouteOptions

const openapiObject = {} as never

describe('transformRoute', () => {
  it('names a wildcard after its title, and drops a shared `*` where the route has none', () => {
    const params = {
      type: 'object',
      required: ['bucket', '*'],
      properties: { bucket: { type: 'string' }, '*': { type: 'string', title: 'key' } },
    }
    const withStar = transformRoute({
      schema: { params },
      url: '/o/:bucket/*',
      route: route('GET'),
      openapiObject,
    })
    expect(withStar.url).toBe('/o/:bucket/:key')
    expect(withStar.schema.params).toEqual({
      type: 'object',
      required: ['bucket', 'key'],
      properties: { bucket: { type: 'string' }, key: { type: 'string', title: 'key' } },
    })
    const without = transformRoute({
      schema: { params },
      url: '/o/:bucket',
      route: route('GET'),
      openapiObject,
    })
    expect(without.schema.params).toEqual({
      type: 'object',
      required: ['bucket'],
      properties: { bucket: { type: 'string' } },
    })
  })

  it('gives every route a security requirement by where it lives, keeping a declared one', () => {
    const security = (url: string, method = 'GET', schema: Record<string, unknown> = {}) =>
      (transformRoute({ schema, url, route: route(method), openapiObject }).schema as { security: unknown })
        .security
    expect(security('/db/v1/x')).toEqual([{}, { bearer: [] }])
    expect(security('/admin/v1/users')).toEqual([{ bearer: [] }, { adminSession: [] }])
    expect(security('/admin/v1/session', 'POST')).toEqual([{}])
    expect(security('/auth/v1/user', 'GET', { security: [{ bearer: [] }] })).toEqual([{ bearer: [] }])
  })

  it('keeps hidden routes hidden, except WebSocket routes, and drops a trailing slash', () => {
    const hidden = transformRoute({ schema: { hide: true }, url: '/x', route: route('GET'), openapiObject })
    expect((hidden.schema as { hide?: boolean }).hide).toBe(true)
    const ws = transformRoute({
      schema: { hide: true },
      url: '/realtime/v1/',
      route: route('GET', { websocket: true }),
      openapiObject,
    })
    expect((ws.schema as { hide?: boolean }).hide).toBeUndefined()
    expect(ws.url).toBe('/realtime/v1')
  })
})

describe('transformDocument', () => {
  it('drops non-standard methods, ids every operation, rewrites tuples and adds the error answer', () => {
    const shared = { responses: { 200: { description: 'ok' } } }
    const doc = {
      openapi: '3.1.0',
      paths: {
        '/f/{name}': { get: shared, post: shared, query: shared },
        '/c': {
          put: {
            operationId: 'setC',
            responses: { 400: { description: 'bad' } },
            requestBody: {
              content: {
                'application/json': {
                  schema: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] },
                },
              },
            },
          },
        },
      },
    }
    // A draft-07 tuple is what the OpenAPI types refuse: the input is typed loosely on purpose.
    const out = transformDocument({ openapiObject: doc as never }) as {
      paths: Record<string, Record<string, Record<string, unknown>>>
    }
    expect(Object.keys(out.paths['/f/{name}']!)).toEqual(['get', 'post'])
    expect(out.paths['/f/{name}']!.get!.operationId).toBe('getFByName')
    expect(out.paths['/f/{name}']!.post!.operationId).toBe('postFByName')
    expect(Object.keys(out.paths['/f/{name}']!.get!.responses as object)).toEqual(['200', '4XX'])
    const put = out.paths['/c']!.put!
    expect(put.operationId).toBe('setC')
    expect(Object.keys(put.responses as object)).toEqual(['400'])
    expect(JSON.stringify(put.requestBody)).toBe(
      JSON.stringify({
        content: {
          'application/json': {
            schema: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
          },
        },
      }),
    )
  })
})
