import type { AdminUser } from '../auth/service.ts'
import type { AuthContext } from '../auth/signing-keys.ts'
import { StratusError } from '../core/errors.ts'
import type { DocumentsService } from '../documents/service.ts'
import type { RuleAuth, RuleCheck, RulesEvaluator } from '../rules/rules.ts'
import type { RuleSimulation, SimulatedOperation } from '../rules/simulation.ts'
import type { ObjectMetadata, StorageService } from '../storage/service.ts'
import type { SimulatedUpload } from '../storage/simulate.ts'

/** Who the simulated caller is: anon (null), an existing user by id, or made-up token claims. */
export type SimulatedAuth = null | { uid?: string; claims?: Record<string, unknown> }

/** `POST /admin/v1/rules/simulate`'s question. */
export interface SimulationRequest {
  target: 'document' | 'object'
  collection?: string
  id?: string
  bucket?: string
  key?: string
  operation: SimulatedOperation
  auth: SimulatedAuth
  /** `request.data` of a document write; what an upload declares (`{size, contentType, metadata}`). */
  data?: Record<string, unknown>
  /** The document's data, or the object's metadata, to use instead of what is stored. */
  existing?: Record<string, unknown>
}

/** The answer: the simulation, and `auth` as the rule saw it. */
export type SimulationAnswer = RuleSimulation & { auth: RuleAuth | null }

/** What the simulator needs of the other services (their public APIs). */
export interface RulesSimulatorDeps {
  rules: RulesEvaluator
  documents: Pick<DocumentsService, 'simulateRule'>
  storage: Pick<StorageService, 'simulateRule'>
  users: { getUser(id: string): Promise<AdminUser> }
}

const invalid = (field: string, message: string) =>
  new StratusError('request/invalid', message, { details: { field } })

/** An object's metadata as the admin describes it (`data` of an upload, `existing`), checked. */
function objectFields(field: string, value: Record<string, unknown> | undefined) {
  if (value === undefined) return undefined
  const { key, size, contentType, metadata, ...rest } = value
  const unknown = Object.keys(rest)
  if (unknown.length > 0)
    throw invalid(field, `${field} may hold key, size, contentType and metadata, not ${unknown[0]}`)
  if (key !== undefined && typeof key !== 'string')
    throw invalid(`${field}.key`, `${field}.key must be a string`)
  if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) >= 0))
    throw invalid(`${field}.size`, `${field}.size must be a whole number of bytes`)
  if (contentType !== undefined && typeof contentType !== 'string')
    throw invalid(`${field}.contentType`, `${field}.contentType must be a string`)
  if (
    metadata !== undefined &&
    (metadata === null ||
      typeof metadata !== 'object' ||
      Array.isArray(metadata) ||
      Object.values(metadata).some((v) => typeof v !== 'string'))
  )
    throw invalid(`${field}.metadata`, `${field}.metadata must be an object of strings`)
  return { key, size, contentType, metadata } as Partial<ObjectMetadata>
}

/**
 * The console's rules simulator: what the data path would decide for a caller, an operation and a
 * document or object, through the same evaluator and rule lookup (the documents and storage services
 * do the lookup), with the part of the rule that decided and the values it read. Reads only.
 */
export class RulesSimulator {
  private readonly deps: RulesSimulatorDeps

  constructor(deps: RulesSimulatorDeps) {
    this.deps = deps
  }

  /** Whether `expression` would be accepted as a rule; if not, the error and where it is. */
  check(expression: string): RuleCheck {
    return this.deps.rules.check(expression)
  }

  async simulate(input: SimulationRequest): Promise<SimulationAnswer> {
    const auth = await this.caller(input.auth)
    const seen = auth && { uid: auth.uid, role: auth.role, email: auth.email, claims: auth.claims }
    if (input.target === 'document') {
      if (input.bucket !== undefined || input.key !== undefined)
        throw invalid('bucket', 'bucket and key are for target "object"; a document has collection and id')
      if (input.collection === undefined)
        throw invalid('collection', 'A document simulation needs collection')
      const result = await this.deps.documents.simulateRule({
        collection: input.collection,
        id: input.id,
        operation: input.operation,
        auth,
        data: input.data,
        existing: input.existing,
      })
      return { ...result, auth: seen }
    }
    if (input.collection !== undefined || input.id !== undefined)
      throw invalid('collection', 'collection and id are for target "document"; an object has bucket and key')
    if (input.bucket === undefined) throw invalid('bucket', 'An object simulation needs bucket')
    const result = await this.deps.storage.simulateRule({
      bucket: input.bucket,
      key: input.key,
      operation: input.operation,
      auth,
      data: objectFields('data', input.data) as SimulatedUpload | undefined,
      existing: objectFields('existing', input.existing),
    })
    return { ...result, auth: seen }
  }

  /**
   * The caller as the data path would see it. `{uid}` loads that user and gives the claims a fresh
   * session of theirs carries (`aal1`, no `sid`); `claims` are laid over them (e.g. `{aal: "aal2"}`),
   * or, without `uid`, make up a signed-in caller whose uid is `claims.sub` (default `simulated`).
   */
  private async caller(auth: SimulatedAuth): Promise<AuthContext | null> {
    if (auth === null) return null
    const extra = auth.claims ?? {}
    if (auth.uid === undefined) {
      if (auth.claims === undefined) throw invalid('auth', 'auth is null (anon), {uid}, or {claims}')
      const uid = typeof extra.sub === 'string' && extra.sub !== '' ? extra.sub : 'simulated'
      return {
        uid,
        role: 'authenticated',
        email: typeof extra.email === 'string' ? extra.email : null,
        claims: { ...extra, sub: uid, role: 'authenticated' },
      }
    }
    const user = await this.deps.users.getUser(auth.uid)
    const claims: AuthContext['claims'] = {
      sub: user.id,
      role: 'authenticated',
      aal: 'aal1',
      is_anonymous: user.anonymous,
      ...(user.email ? { email: user.email, email_verified: user.emailVerified } : {}),
      ...extra,
    }
    claims.sub = user.id
    claims.role = 'authenticated'
    return { uid: user.id, role: 'authenticated', email: user.email, claims }
  }
}
