import type { AuthChangeEvent, Document } from '@stratus/sdk'
import { describe, expect, it } from 'vitest'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { admin, client, SDK_TEST_ENV, serviceClient, trackedWebSocket, unique } from './helpers.ts'

// Access tokens live 10 s here (the shortest the config allows): a session is carried across a real
// expiry, for requests and for an open listener. Its own file, so it waits alongside other suites.
const TTL_SECONDS = 10

describe.each(LANES)('SDK session across token expiry (%s)', (lane) => {
  const t = usePlatform(lane, { ...SDK_TEST_ENV, ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) })

  it('refreshes before expiry and keeps requests and listeners working past it', async () => {
    const name = unique('mine')
    await admin(t, 'PUT', `/admin/v1/collections/${name}`, {
      rules: { read: 'auth != null', create: 'auth != null', update: 'auth != null', delete: 'false' },
    })
    const tracked = trackedWebSocket()
    const app = client(t, { WebSocket: tracked.WebSocket })
    const events: AuthChangeEvent[] = []
    app.auth.onAuthStateChange((event) => events.push(event))
    const { session } = await app.auth.signUp({
      email: `${unique('x')}@example.com`,
      password: 'correct horse battery',
    })
    const signedInAt = Date.now()

    const seen: Document[] = []
    const stop = app.db.collection(name).onSnapshot((snapshot) => {
      for (const change of snapshot.changes) seen.push(change.doc)
    })
    await app.db.collection(name).doc('before').set({ at: 'before' })
    await eventually(() => seen.some((doc) => doc.id === 'before'))

    await eventually(() => events.includes('TOKEN_REFRESHED'), TTL_SECONDS * 1000, 'a refresh before expiry')
    expect(Date.now() - signedInAt).toBeLessThan(TTL_SECONDS * 1000)
    const refreshed = (await app.auth.getSession())!
    expect(refreshed.access_token).not.toBe(session.access_token)

    // Past the first token's expiry: the listener still receives, and requests still succeed.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, signedInAt + TTL_SECONDS * 1000 + 500 - Date.now())),
    )
    await serviceClient(t).db.collection(name).doc('after').set({ at: 'after' })
    await eventually(() => seen.some((doc) => doc.id === 'after'), 10_000, 'a change after expiry')
    expect((await app.db.collection(name).doc('after').get())?.data).toEqual({ at: 'after' })
    // The open socket was handed the new token: it never had to reconnect.
    expect(tracked.sockets).toHaveLength(1)
    stop()
    app.close()
  }, 40_000)
})
