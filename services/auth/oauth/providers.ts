import { StratusError } from '../../core/errors.ts'
import type { Database } from '../../db/database.ts'
import type { SecretBox } from '../secret-box.ts'
import { type Preset, type ProviderInput, type ProviderSettings, resolveProvider } from './presets.ts'

/** A provider as the admin API shows it: its settings, never its client secret. */
export interface ProviderView extends ProviderSettings {
  name: string
  createdAt: string
  updatedAt: string
}

/** A provider with its decrypted client secret, for the sign-in flow only. */
export interface ProviderRecord extends ProviderView {
  clientSecret: string
}

interface ProviderRow extends Record<string, unknown> {
  name: string
  type: 'oidc' | 'oauth2'
  preset: Preset | null
  issuer: string | null
  authorization_url: string | null
  token_url: string | null
  userinfo_url: string | null
  client_id: string
  client_secret_encrypted: string
  scopes: string[]
  created_at: Date
  updated_at: Date
}

const COLUMNS =
  'name, type, preset, issuer, authorization_url, token_url, userinfo_url, client_id, client_secret_encrypted, scopes, created_at, updated_at'

/** The AAD of a provider's secret: the ciphertext only decrypts in its own row. */
const secretContext = (name: string) => `auth-provider:${name}`

export const providerNotFound = (name: string) =>
  new StratusError('auth/provider-not-found', `No sign-in provider named ${JSON.stringify(name)}`)

/** The configured OAuth/OIDC providers (table `auth_providers`). */
export class ProviderStore {
  private readonly db: Database
  private readonly secrets: SecretBox

  constructor(options: { db: Database; secrets: SecretBox }) {
    this.db = options.db
    this.secrets = options.secrets
  }

  /** False when no encryption key is configured: then `put` refuses (503 `service/unavailable`). */
  get storesSecrets(): boolean {
    return this.secrets.available
  }

  /** Creates or replaces a provider (the client secret is encrypted before it is stored). */
  async put(name: string, input: ProviderInput): Promise<ProviderView> {
    const settings = resolveProvider(input)
    const encrypted = this.secrets.encrypt(input.clientSecret, secretContext(name))
    const [row] = await this.db.query<ProviderRow>(
      `INSERT INTO auth_providers (name, type, preset, issuer, authorization_url, token_url, userinfo_url,
         client_id, client_secret_encrypted, scopes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
       ON CONFLICT (name) DO UPDATE SET type = $2, preset = $3, issuer = $4, authorization_url = $5,
         token_url = $6, userinfo_url = $7, client_id = $8, client_secret_encrypted = $9, scopes = $10::jsonb,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        name,
        settings.type,
        settings.preset,
        settings.issuer,
        settings.authorizationUrl,
        settings.tokenUrl,
        settings.userinfoUrl,
        settings.clientId,
        encrypted,
        JSON.stringify(settings.scopes),
      ],
    )
    return toView(row!)
  }

  async list(): Promise<ProviderView[]> {
    const rows = await this.db.query<ProviderRow>(`SELECT ${COLUMNS} FROM auth_providers ORDER BY name`)
    return rows.map(toView)
  }

  async get(name: string): Promise<ProviderView> {
    const row = await this.row(name)
    if (!row) throw providerNotFound(name)
    return toView(row)
  }

  async delete(name: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM auth_providers WHERE name = $1 RETURNING name', [name])
    if (rows.length === 0) throw providerNotFound(name)
  }

  /** The provider with its secret decrypted, or undefined if there is no such provider. */
  async load(name: string): Promise<ProviderRecord | undefined> {
    const row = await this.row(name)
    if (!row) return undefined
    return {
      ...toView(row),
      clientSecret: this.secrets.decrypt(row.client_secret_encrypted, secretContext(name)),
    }
  }

  private async row(name: string): Promise<ProviderRow | undefined> {
    const [row] = await this.db.query<ProviderRow>(`SELECT ${COLUMNS} FROM auth_providers WHERE name = $1`, [
      name,
    ])
    return row
  }
}

function toView(row: ProviderRow): ProviderView {
  return {
    name: row.name,
    type: row.type,
    preset: row.preset,
    issuer: row.issuer,
    authorizationUrl: row.authorization_url,
    tokenUrl: row.token_url,
    userinfoUrl: row.userinfo_url,
    clientId: row.client_id,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
