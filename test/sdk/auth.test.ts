import type { AuthChangeEvent, Session, User } from '@stratus/sdk'
import { MemoryStore } from '@stratus/sdk'
import { describe, expect, it } from 'vitest'
import { waitForMail } from '../auth/helpers.ts'
import { eventually } from '../support/lanes.ts'
import { LANES, usePlatform } from '../support/platform.ts'
import { client, countingFetch, failure, SDK_TEST_ENV, unique } from './helpers.ts'

const PASSWORD = 'correct horse battery'

function email(): string {
  return `${unique('u')}@example.com`
}

describe.each(LANES)('SDK auth (%s)', (lane) => {
  const t = usePlatform(lane, SDK_TEST_ENV)

  it('signs up, reads and updates the user, signs out and in again, announcing each step', async () => {
    const app = client(t)
    const events: AuthChangeEvent[] = []
    const stop = app.auth.onAuthStateChange((event) => events.push(event))
    const address = email()

    const { user, session } = await app.auth.signUp({
      email: address,
      password: PASSWORD,
      data: { name: 'Ada' },
    })
    expect(user.email).toBe(address)
    expect(session.token_type).toBe('bearer')
    expect(session.user?.id).toBe(user.id)

    expect((await app.auth.getUser()).data).toEqual({ name: 'Ada' })
    const updated = await app.auth.updateUser({ data: { city: 'Paris' } })
    expect(updated.data).toEqual({ name: 'Ada', city: 'Paris' })
    expect((await app.auth.getSession())?.user?.data).toEqual({ name: 'Ada', city: 'Paris' })

    await app.auth.signOut()
    expect(await app.auth.getSession()).toBeNull()
    expect((await failure(app.auth.getUser())).code).toBe('auth/unauthenticated')

    const again = await app.auth.signInWithPassword({ email: address, password: PASSWORD })
    expect(again.user.id).toBe(user.id)
    expect((await app.auth.getUser()).id).toBe(user.id)
    await eventually(() => events.length >= 5)
    expect(events).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'USER_UPDATED', 'SIGNED_OUT', 'SIGNED_IN'])

    stop()
    await app.auth.signOut()
    expect(events).toHaveLength(5)
    app.close()
  })

  it('surfaces the API error codes as StratusError.code and status', async () => {
    const app = client(t)
    const weak = await failure(app.auth.signUp({ email: email(), password: 'short' }))
    expect([weak.code, weak.status]).toEqual(['auth/weak-password', 422])

    const address = email()
    await app.auth.signUp({ email: address, password: PASSWORD })
    const taken = await failure(client(t).auth.signUp({ email: address, password: PASSWORD }))
    expect([taken.code, taken.status]).toEqual(['auth/email-taken', 409])

    const wrong = await failure(
      client(t).auth.signInWithPassword({ email: address, password: 'wrong password' }),
    )
    expect([wrong.code, wrong.status]).toEqual(['auth/invalid-credentials', 400])

    const invalid = await failure(client(t).auth.signUp({ email: 'not an email', password: PASSWORD }))
    expect(invalid.status).toBe(400)
    expect(invalid.code).toBe('request/invalid')
    app.close()
  })

  it('signs in anonymously and upgrades the same user with an email and password', async () => {
    const app = client(t)
    const { user } = await app.auth.signInAnonymously()
    expect(user.anonymous).toBe(true)
    const address = email()
    const upgraded = await app.auth.updateUser({ email: address, password: PASSWORD })
    expect(upgraded.id).toBe(user.id)
    expect(upgraded.anonymous).toBe(false)
    const other = client(t)
    expect((await other.auth.signInWithPassword({ email: address, password: PASSWORD })).user.id).toBe(
      user.id,
    )
    app.close()
    other.close()
  })

  it('recovers a password through the mailed token', async () => {
    const address = email()
    await client(t).auth.signUp({ email: address, password: PASSWORD })
    const app = client(t)
    await app.auth.resetPasswordForEmail(address)
    await app.auth.resetPasswordForEmail(`${unique('nobody')}@example.com`)
    const { token } = await waitForMail(t, address, { subject: 'Reset your password' })
    const session = await app.auth.verifyRecovery({ token, password: 'a brand new password' })
    expect(session.user?.email).toBe(address)
    expect((await app.auth.getUser()).email).toBe(address)
    await client(t).auth.signInWithPassword({ email: address, password: 'a brand new password' })
    app.close()
  })

  it('keeps the session in the given store: a new client starts signed in', async () => {
    const store = new MemoryStore()
    const first = client(t, { storage: store })
    const { user } = await first.auth.signUp({ email: email(), password: PASSWORD })
    first.close()

    const second = client(t, { storage: store })
    const initial = await new Promise<Session | null>((resolve) => {
      second.auth.onAuthStateChange((event, session) => {
        if (event === 'INITIAL_SESSION') resolve(session)
      })
    })
    expect(initial?.user?.id).toBe(user.id)
    expect((await second.auth.getUser()).id).toBe(user.id)
    second.close()

    const unpersisted = client(t, { storage: store, persistSession: false })
    expect(await unpersisted.auth.getSession()).toBeNull()
  })

  /**
   * A store holding a new user's session that claims to have expired (its tokens are still good): the
   * next client on it must refresh before its first call.
   */
  async function storedExpiredSession(): Promise<{ store: MemoryStore; user: User; stored: Session }> {
    const store = new MemoryStore()
    const first = client(t, { storage: store })
    const { user } = await first.auth.signUp({ email: email(), password: PASSWORD })
    first.close()
    const storedKey = `stratus.session.${new URL(t.url).host}`
    const stored = JSON.parse(store.getItem(storedKey)!) as Session
    store.setItem(storedKey, JSON.stringify({ ...stored, expires_at: Math.floor(Date.now() / 1000) - 5 }))
    return { store, user, stored }
  }

  it('refreshes an expired session once, however many requests wait on it', async () => {
    const { store, user, stored } = await storedExpiredSession()

    const counting = countingFetch()
    const app = client(t, { storage: store, fetch: counting.fetch })
    const events: AuthChangeEvent[] = []
    app.auth.onAuthStateChange((event) => events.push(event))
    const users = await Promise.all(Array.from({ length: 8 }, () => app.auth.getUser()))
    expect(users.every((u) => u.id === user.id)).toBe(true)
    expect(counting.count('POST', 'grant_type=refresh_token')).toBe(1)
    expect(events).toContain('TOKEN_REFRESHED')
    const refreshed = (await app.auth.getSession())!
    expect(refreshed.refresh_token).not.toBe(stored.refresh_token)
    expect(refreshed.user?.id).toBe(user.id)
    app.close()
  })

  it('shares one refresh among clients of one store (tabs), and follows a sign-out made by another', async () => {
    const { store, user } = await storedExpiredSession()

    // Two tabs wake up with the same expired session: one refresh, and neither spends the other's token.
    const counting = countingFetch()
    const tabs = [
      client(t, { storage: store, fetch: counting.fetch }),
      client(t, { storage: store, fetch: counting.fetch }),
    ]
    const events: string[] = []
    for (const [i, tab] of tabs.entries()) tab.auth.onAuthStateChange((event) => events.push(`${i}:${event}`))
    const users = await Promise.all(tabs.flatMap((tab) => [tab.auth.getUser(), tab.auth.getUser()]))
    expect(users.every((u) => u.id === user.id)).toBe(true)
    expect(counting.count('POST', 'grant_type=refresh_token')).toBe(1)
    expect(events.filter((e) => e.endsWith('SIGNED_OUT'))).toEqual([])
    const sessions = await Promise.all(tabs.map((tab) => tab.auth.getSession()))
    expect(sessions[0]?.refresh_token).toBe(sessions[1]?.refresh_token)

    // One tab signs out; the other finds out at its next refresh, without presenting a revoked token.
    await tabs[0]!.auth.signOut()
    const before = counting.count('POST', 'grant_type=refresh_token')
    expect(await tabs[1]!.auth.expired(sessions[1]!.access_token)).toBe(false)
    expect(await tabs[1]!.auth.getSession()).toBeNull()
    expect(counting.count('POST', 'grant_type=refresh_token')).toBe(before)
    expect(events).toContain('1:SIGNED_OUT')
    for (const tab of tabs) tab.close()
  })

  it('signs out when its refresh token was spent elsewhere (auth/token-reused)', async () => {
    const owner = client(t)
    const { session } = await owner.auth.signUp({ email: email(), password: PASSWORD })
    // A copy of the same session in another client: the owner refreshes first and spends the token.
    const copy = client(t)
    await copy.auth.setSession({ access_token: session.access_token, refresh_token: session.refresh_token })
    const ownerToken = (await owner.auth.getSession())!.access_token
    expect(await owner.auth.expired(ownerToken)).toBe(true)

    const events: AuthChangeEvent[] = []
    copy.auth.onAuthStateChange((event) => events.push(event))
    const copyToken = (await copy.auth.getSession())!.access_token
    expect(await copy.auth.expired(copyToken)).toBe(false)
    await eventually(() => events.includes('SIGNED_OUT'))
    expect(await copy.auth.getSession()).toBeNull()
    // Reuse revoked the whole family: the owner's next refresh fails too, and signs it out.
    const ownerNow = (await owner.auth.getSession())!.access_token
    expect(await owner.auth.expired(ownerNow)).toBe(false)
    expect(await owner.auth.getSession()).toBeNull()
    owner.close()
    copy.close()
  })

  it('reports an unreachable API as network/unreachable', async () => {
    const app = client({ ...t, url: 'http://127.0.0.1:9' })
    const error = await failure(app.auth.signInWithPassword({ email: email(), password: PASSWORD }))
    expect([error.code, error.status]).toEqual(['network/unreachable', 0])
  })
})
