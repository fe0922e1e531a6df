import { createClient, type StratusClient } from '@stratus/sdk'
import { consoleFetch } from './http.ts'

/**
 * The SDK, pointed at the app API as the signed-in admin sees it (`/admin/v1/app/…`: the public routes,
 * called with the admin session, rules bypassed, writes audited). It keeps no session of its own: the
 * session cookie and CSRF header travel on every call through `consoleFetch`.
 */
export const app: StratusClient = createClient(`${window.location.origin}/admin/v1/app`, {
  fetch: consoleFetch,
  persistSession: false,
})
