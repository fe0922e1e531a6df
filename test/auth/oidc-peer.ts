import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type KoaContextWithOIDC } from 'oidc-provider'

/** A person with an account at the test identity provider. */
export interface PeerAccount {
  sub: string
  email?: string
  email_verified?: boolean
  name?: string
}

/** What the person does at the provider's login page during the next flow. */
export type PeerAction = { login: string } | { deny: string }

/** A real OpenID Connect provider (oidc-provider) on loopback, with one confidential test client. */
export interface OidcPeer {
  issuer: string
  clientId: string
  clientSecret: string
  /** Accounts the provider knows, by `sub`. */
  accounts: Map<string, PeerAccount>
  /** Sets who logs in (or who refuses consent) at the next interaction. */
  next(action: PeerAction): void
  /** Damages the signature of the ID token in the next token response (a forged token). */
  forgeNextIdToken(): void
  close(): Promise<void>
}

/**
 * Starts oidc-provider with `redirectUris` registered for its client. Its login and consent pages are
 * replaced by an interaction handler that finishes at once as the account chosen by `next()`, and
 * every grant is given, so a test drives the flow with plain HTTP requests.
 */
export async function startOidcPeer(options: { redirectUris: string[] }): Promise<OidcPeer> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const accounts = new Map<string, PeerAccount>()
  const clientId = 'stratus-test'
  const clientSecret = 'a-test-client-secret-that-is-long-enough'
  let action: PeerAction = { login: 'nobody' }
  let forge = false

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub)
      if (!account) return undefined
      return { accountId: sub, claims: () => ({ ...account }) }
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Every client gets the scopes it asks for: no consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const accountId = ctx.oidc.session?.accountId
      if (!accountId || !ctx.oidc.client) return undefined
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
    cookies: { keys: ['oidc-peer-cookie-key'] },
    pkce: { required: () => true },
  })
  // oidc-provider logs interaction errors on the console; the tests read them from the redirects.
  provider.on('server_error', () => {})
  const handle = provider.callback()

  server.on('request', (req, res) => {
    if (forge && req.method === 'POST' && req.url === '/token') {
      forge = false
      forgeIdToken(res)
    }
    if (!req.url?.startsWith('/interaction/')) return handle(req, res)
    void (async () => {
      await provider.interactionDetails(req, res)
      const result =
        'login' in action
          ? { login: { accountId: action.login } }
          : { error: 'access_denied', error_description: action.deny }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
    })().catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    next: (a) => {
      action = a
    },
    forgeNextIdToken: () => {
      forge = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Rewrites the JSON body the provider is about to send: the ID token's signature loses a byte. */
function forgeIdToken(res: http.ServerResponse): void {
  const chunks: Buffer[] = []
  const end = res.end.bind(res)
  res.write = ((chunk: string | Buffer) => {
    chunks.push(Buffer.from(chunk))
    return true
  }) as typeof res.write
  res.end = ((chunk?: string | Buffer) => {
    if (chunk) chunks.push(Buffer.from(chunk))
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id_token?: string }
    if (body.id_token) {
      const [header, payload, signature = ''] = body.id_token.split('.')
      const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`
      body.id_token = `${header}.${payload}.${flipped}`
    }
    const text = JSON.stringify(body)
    res.setHeader('content-length', Buffer.byteLength(text))
    return end(text)
  }) as typeof res.end
}

/**
 * Follows redirects from `url` like a browser would (keeping the provider's cookies) until one points
 * at `stopAt`; returns that URL. A fresh jar per call: every flow logs in anew.
 */
export async function followUntil(url: string, stopAt: string): Promise<string> {
  const jar = new Map<string, string>()
  let current = url
  for (let hop = 0; hop < 20; hop++) {
    if (current.startsWith(stopAt)) return current
    const response = await fetch(current, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    })
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    const location = response.headers.get('location')
    if (!location) throw new Error(`no redirect from ${current}: ${response.status} ${await response.text()}`)
    current = new URL(location, current).href
  }
  throw new Error(`too many redirects from ${url}`)
}
