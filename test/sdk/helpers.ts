import {
  type ClientOptions,
  createClient,
  MemoryStore,
  type StratusClient,
  StratusError,
  type WebSocketConstructor,
} from '@stratus/sdk'
import { WebSocket } from 'ws'
import type { TestPlatform } from '../support/platform.ts'

/** Sign-ups and sign-ins from every test of a suite come from one address: lift the limits. */
export const SDK_TEST_ENV = {
  RATE_LIMIT_SIGNUP: '100000',
  RATE_LIMIT_SIGNIN: '100000',
  RATE_LIMIT_REFRESH: '100000',
  RATE_LIMIT_RECOVER: '100000',
}

let counter = 0

/** A unique name for a collection, bucket, function or email. */
export function unique(prefix: string): string {
  counter += 1
  return `${prefix}${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`
}

/** A client of the test platform with a session kept in memory. */
export function client(t: TestPlatform, options: ClientOptions = {}): StratusClient {
  return createClient(t.url, { storage: new MemoryStore(), ...options })
}

/** A client with the service key (bypasses rules, may call admin routes). */
export function serviceClient(t: TestPlatform, options: ClientOptions = {}): StratusClient {
  return createClient(t.url, { accessToken: t.serviceKey, ...options })
}

/** Calls an admin route with the service key; fails the test on an error answer. */
export async function admin(t: TestPlatform, method: string, path: string, body?: unknown): Promise<unknown> {
  return serviceClient(t).http.request(path, { method, ...(body !== undefined ? { body } : {}) })
}

/** A collection anyone may read and write. */
export async function openCollection(t: TestPlatform, name = unique('col')): Promise<string> {
  await admin(t, 'PUT', `/admin/v1/collections/${name}`, {
    rules: { read: 'true', create: 'true', update: 'true', delete: 'true' },
  })
  return name
}

/** Resolves with the StratusError a promise rejects with (fails when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<StratusError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof StratusError) return error
    throw error
  }
  throw new Error('expected a StratusError, but the call succeeded')
}

/**
 * The `ws` WebSocket, remembering each socket it opens, so a test can cut the connection the way a
 * network does (no close handshake).
 */
export function trackedWebSocket(): { WebSocket: WebSocketConstructor; sockets: WebSocket[] } {
  const sockets: WebSocket[] = []
  class Tracked extends WebSocket {
    constructor(url: string) {
      super(url)
      sockets.push(this)
    }
  }
  return { WebSocket: Tracked as unknown as WebSocketConstructor, sockets }
}

/** A fetch that counts the requests it sends, by method and path. */
export function countingFetch(): {
  fetch: typeof fetch
  count: (method: string, pathPart: string) => number
} {
  const seen: string[] = []
  return {
    fetch: (input, init) => {
      seen.push(`${init?.method ?? 'GET'} ${String(input)}`)
      return fetch(input, init)
    },
    count: (method, pathPart) =>
      seen.filter((line) => line.startsWith(`${method} `) && line.includes(pathPart)).length,
  }
}
