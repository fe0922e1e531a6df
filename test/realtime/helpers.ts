import { expect } from 'vitest'
import { uniqueName } from '../support/lanes.ts'
import type { TestPlatform } from '../support/platform.ts'
import type { Frame } from './client.ts'

/** A fresh collection name. */
export function newCollection(prefix = 'rt'): string {
  return uniqueName(prefix)
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 100)
}

/** Calls the platform's HTTP API with `token` (default: the service key) and returns the parsed body. */
export async function api(
  t: { url: string; serviceKey: string },
  method: string,
  path: string,
  body?: unknown,
  token: string | null = t.serviceKey,
): Promise<{ status: number; body: Frame }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

/** Sets a collection's rules (absent actions deny). */
export async function setRules(
  t: TestPlatform,
  collection: string,
  rules: Record<string, string | boolean>,
): Promise<void> {
  const res = await api(t, 'PUT', `/admin/v1/collections/${collection}`, { rules })
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
}

/** Writes through the database API with the service key; returns the document. */
export async function put(
  t: { url: string; serviceKey: string },
  collection: string,
  id: string,
  data: Record<string, unknown>,
): Promise<Frame> {
  const res = await api(t, 'PUT', `/db/v1/collections/${collection}/documents/${id}`, { data })
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
  return res.body
}

export async function remove(
  t: { url: string; serviceKey: string },
  collection: string,
  id: string,
): Promise<void> {
  const res = await api(t, 'DELETE', `/db/v1/collections/${collection}/documents/${id}`)
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

/** An access token for user `uid`, valid `ttlSeconds`. */
export function userToken(t: TestPlatform, uid: string, ttlSeconds = 3600): Promise<string> {
  return t.platform.keys.sign({ sub: uid, role: 'authenticated', email: `${uid}@example.test` }, ttlSeconds)
}
