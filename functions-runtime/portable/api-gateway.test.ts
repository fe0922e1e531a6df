import { describe, expect, it } from 'vitest'
import type { HttpRequestData } from '../../services/functions/model.ts'
import { apiGatewayEvent, readProxyResponse } from './api-gateway.ts'

const request = (over: Partial<HttpRequestData> = {}): HttpRequestData => ({
  method: 'POST',
  path: '/orders/42',
  headers: { 'content-type': 'application/json', host: 'api.test', 'user-agent': 'ua/1', 'x-a': ['1', '2'] },
  query: { q: 'x', tag: ['a', 'b'] },
  body: { parsed: true },
  auth: null,
  ...over,
})
const event = (data: HttpRequestData) => ({ id: 'ev-1', time: '2015-04-09T12:34:56.789Z', data })

describe('API Gateway proxy events', () => {
  it('builds the v1 event from the request as received', () => {
    const e = apiGatewayEvent('shop', event(request()), {
      sourceIp: '10.0.0.7',
      rawHeaders: ['Content-Type', 'application/json', 'X-A', '1', 'X-A', '2', 'Host', 'api.test'],
      url: '/functions/v1/shop/orders/42?q=x&tag=a&tag=b',
      protocol: 'HTTP/1.1',
      body: Buffer.from('{ "raw" : 1.0 }'),
    })
    expect(e).toEqual({
      resource: '/{proxy+}',
      path: '/orders/42',
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-A': '2', Host: 'api.test' },
      multiValueHeaders: { 'Content-Type': ['application/json'], 'X-A': ['1', '2'], Host: ['api.test'] },
      queryStringParameters: { q: 'x', tag: 'b' },
      multiValueQueryStringParameters: { q: ['x'], tag: ['a', 'b'] },
      pathParameters: { proxy: 'orders/42' },
      stageVariables: null,
      requestContext: {
        accountId: '000000000000',
        apiId: 'functions',
        stage: 'v1',
        requestId: 'ev-1',
        requestTime: '09/Apr/2015:12:34:56 +0000',
        requestTimeEpoch: Date.parse('2015-04-09T12:34:56.789Z'),
        path: '/functions/v1/shop/orders/42',
        resourcePath: '/{proxy+}',
        httpMethod: 'POST',
        protocol: 'HTTP/1.1',
        domainName: 'api.test',
        identity: { sourceIp: '10.0.0.7', userAgent: 'ua/1' },
      },
      // The bytes as sent, not the parsed value serialised again.
      body: '{ "raw" : 1.0 }',
      isBase64Encoded: false,
    })
  })

  it.each([
    ['application/octet-stream', Buffer.from([0, 1, 2, 255]), 'AAEC/w==', true],
    ['image/png', Buffer.from('png'), 'cG5n', true],
    ['text/plain; charset=utf-8', Buffer.from('héllo'), 'héllo', false],
    ['application/vnd.api+json', Buffer.from('{}'), '{}', false],
    // Text that is not UTF-8 is never mangled: it travels in base64.
    ['text/plain', Buffer.from([0xff, 0xfe]), '//4=', true],
    ['text/plain', Buffer.alloc(0), null, false],
  ])('a %s body arrives as %j', (type, bytes, body, base64) => {
    const e = apiGatewayEvent('f', event(request({ headers: { 'content-type': type } })), {
      sourceIp: '::1',
      rawHeaders: ['content-type', type],
      url: '/functions/v1/f',
      protocol: 'HTTP/1.1',
      body: bytes,
    })
    expect([e.body, e.isBase64Encoded]).toEqual([body, base64])
  })

  it('falls back to the parsed request (a rerun): lower-case headers, the body serialised, loopback', () => {
    const e = apiGatewayEvent(
      'f',
      event(
        request({ path: '/', query: {}, auth: { uid: 'u1', role: 'authenticated', claims: { sub: 'u1' } } }),
      ),
    )
    expect(e).toMatchObject({
      resource: '/',
      path: '/',
      headers: { 'content-type': 'application/json', 'x-a': '2' },
      multiValueHeaders: { 'x-a': ['1', '2'] },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      body: '{"parsed":true}',
      isBase64Encoded: false,
      requestContext: {
        path: '/functions/v1/f',
        identity: { sourceIp: '127.0.0.1' },
        authorizer: { principalId: 'u1', claims: { sub: 'u1' } },
      },
    })
    expect(apiGatewayEvent('f', event(request({ body: 'plain text' }))).body).toBe('plain text')
    expect(apiGatewayEvent('f', event(request({ body: null }))).body).toBeNull()
    const binary = apiGatewayEvent(
      'f',
      event(request({ body: 'raw', headers: { 'content-type': 'application/octet-stream' } })),
    )
    expect([binary.body, binary.isBase64Encoded]).toEqual(['cmF3', true])
    expect(apiGatewayEvent('f', event(request())).requestContext).not.toHaveProperty('authorizer')
  })
})

describe('Lambda proxy responses', () => {
  it('reads a response: merged headers, a default content type, a base64 body as bytes', () => {
    expect(
      readProxyResponse({
        statusCode: 201,
        headers: { 'X-One': 'a', 'Set-Cookie': 'ignored=1', 'X-Num': 7, 'Content-Length': '999' },
        multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'x-empty': [] },
        body: 'AAEC',
        isBase64Encoded: true,
      }),
    ).toEqual({
      status: 201,
      headers: {
        'x-one': 'a',
        'set-cookie': ['a=1', 'b=2'],
        'x-num': '7',
        'content-type': 'application/json',
      },
      body: Buffer.from([0, 1, 2]),
    })
    expect(readProxyResponse({ statusCode: 204 })).toEqual({
      status: 204,
      headers: { 'content-type': 'application/json' },
      body: undefined,
    })
    expect(
      readProxyResponse({
        statusCode: 200,
        headers: { 'content-type': 'text/html' },
        body: '<p>',
        isBase64Encoded: false,
      }),
    ).toEqual({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>' })
  })

  it.each([
    [undefined, /returned nothing/],
    [{ hello: 'world' }, /unexpected key "hello"/],
    ['text', /returned "text"/],
    [[1], /an array/],
    [{ body: 'x' }, /statusCode must be an integer/],
    [{ statusCode: '200' }, /statusCode must be an integer .*"200"/],
    [{ statusCode: 99 }, /from 200 to 599/],
    [{ statusCode: 200, body: { a: 1 } }, /body must be a string .*JSON.stringify/],
    [{ statusCode: 200, headers: { a: ['x'] } }, /headers.a must be a string/],
    [{ statusCode: 200, multiValueHeaders: { a: 'x' } }, /multiValueHeaders.a must be an array/],
    [{ statusCode: 200, isBase64Encoded: 'yes' }, /isBase64Encoded must be a boolean/],
    [{ statusCode: 200, body: 'not base64!', isBase64Encoded: true }, /not base64/],
    [{ statusCode: 200, cookies: ['a=1'] }, /unexpected key "cookies"/],
  ])('refuses %j as malformed', (result, problem) => {
    const read = readProxyResponse(result)
    expect(read).toHaveProperty('problem')
    expect((read as { problem: string }).problem).toMatch(problem)
  })
})
