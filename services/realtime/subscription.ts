import { type AuthContext, bypassesRules } from '../auth/signing-keys.ts'
import { EventTypes } from '../core/event-catalog.ts'
import type { StratusEvent } from '../core/events.ts'
import type { ActiveCollection } from '../documents/collections.ts'
import type { Document } from '../documents/documents.ts'
import { matchesWhere } from '../documents/query/matcher.ts'
import type { WhereClause } from '../documents/query/query.ts'
import type { RuleAuth } from '../rules/rules.ts'
import { type ChangeKind, changeFrame } from './protocol.ts'

/** The catalog's document events, by the change each one is. */
const CHANGE_KINDS: ReadonlyMap<string, ChangeKind> = new Map([
  [EventTypes.documentCreated, 'created'],
  [EventTypes.documentUpdated, 'updated'],
  [EventTypes.documentDeleted, 'deleted'],
])

/**
 * One document change as realtime fans it out: parsed once from its event, serialised lazily once, then
 * tested against every subscription of its collection.
 */
export class DocumentChange {
  readonly sequence: number
  readonly kind: ChangeKind
  readonly collection: string
  readonly id: string
  /** The document after the change (null for a delete). */
  readonly document: Document | null
  /** The document before the change (null for a create). */
  readonly previous: Document | null
  private json?: { document?: string; previous?: string; stub?: string }
  /** `where` outcomes by the where's key: subscribers sharing a query share one evaluation per change. */
  private readonly matched = new Map<string, boolean>()

  /** The event's trace context, passed on in change frames. */
  readonly traceparent: string | undefined

  private constructor(
    sequence: number,
    kind: ChangeKind,
    document: Document | null,
    previous: Document | null,
    traceparent: string | undefined,
  ) {
    this.sequence = sequence
    this.traceparent = traceparent
    this.kind = kind
    this.document = document
    this.previous = previous
    const any = (document ?? previous)!
    this.collection = any.collection
    this.id = any.id
  }

  /** The change an event describes, or null for an event that is not a well-formed `db.document.*`. */
  static from(event: StratusEvent): DocumentChange | null {
    const kind = CHANGE_KINDS.get(event.type)
    if (kind === undefined || typeof event.sequence !== 'number') return null
    const data = event.data as { document?: Document; previous?: Document } | null
    const ok = (d: unknown): d is Document =>
      !!d &&
      typeof d === 'object' &&
      typeof (d as Document).id === 'string' &&
      typeof (d as Document).collection === 'string'
    if (kind === 'created' && ok(data?.document))
      return new DocumentChange(event.sequence, kind, data.document, null, event.traceparent)
    if (kind === 'updated' && ok(data?.document) && ok(data?.previous)) {
      return new DocumentChange(event.sequence, kind, data.document, data.previous, event.traceparent)
    }
    if (kind === 'deleted' && ok(data?.previous))
      return new DocumentChange(event.sequence, kind, null, data.previous, event.traceparent)
    return null
  }

  /** Whether the document after (`now`) or before the change satisfies `where` (keyed by `whereKey`). */
  matches(which: 'now' | 'before', where: readonly WhereClause[], whereKey: string): boolean {
    const key = `${which}:${whereKey}`
    let hit = this.matched.get(key)
    if (hit === undefined) {
      const document = which === 'now' ? this.document : this.previous
      hit = !!document && matchesWhere(document.data, where)
      this.matched.set(key, hit)
    }
    return hit
  }

  /** The document's JSON, the previous version's JSON, and the document without `data`, each made once. */
  serialised(which: 'document' | 'previous' | 'stub'): string {
    this.json ??= {}
    const cached = this.json[which]
    if (cached !== undefined) return cached
    let text: string
    if (which === 'stub') {
      const { data: _data, ...stub } = (this.document ?? this.previous)!
      text = JSON.stringify(stub)
    } else {
      text = JSON.stringify(which === 'document' ? this.document : this.previous)
    }
    this.json[which] = text
    return text
  }
}

/** Who a connection is, as subscriptions evaluate rules for it. Replaced wholesale on re-auth. */
export interface Viewer {
  auth: AuthContext | null
  /** `auth` as rules see it. */
  ruleAuth: RuleAuth | null
}

/** Builds the viewer of an auth context. */
export function viewerOf(auth: AuthContext | null): Viewer {
  return {
    auth,
    ruleAuth: auth ? { uid: auth.uid, role: auth.role, email: auth.email, claims: auth.claims } : null,
  }
}

/**
 * What one client subscribed to: a collection, optionally one document, optionally a `where`. Decides,
 * per change, which frame (if any) that client gets.
 */
export class Subscription {
  readonly id: string
  readonly collection: string
  readonly where: readonly WhereClause[]
  readonly docId?: string
  /** Identifies `where`: equal keys, equal queries. */
  readonly whereKey: string
  /**
   * The last sequence this subscription has dealt with (sent or skipped): a change at or below it is a
   * duplicate (replay and live overlap) and is dropped.
   */
  cursor: number
  /** `replaying` buffers live changes until the replay has caught up; `closed` drops everything. */
  state: 'replaying' | 'live' | 'closed' = 'live'
  /** Live changes seen during the replay, in sequence order. */
  buffer: DocumentChange[] = []
  private verdict?: { active: ActiveCollection; viewer: Viewer; value: boolean | undefined }

  constructor(options: {
    id: string
    collection: string
    where: readonly WhereClause[]
    docId?: string
    cursor: number
  }) {
    this.id = options.id
    this.collection = options.collection
    this.where = options.where
    this.docId = options.docId
    this.whereKey = JSON.stringify(options.where)
    this.cursor = options.cursor
  }

  /**
   * Whether `viewer` may read `data` under `active` (the collection's configuration, null when it has
   * none). The rule's outcome when it does not depend on the document is remembered per configuration
   * and viewer, so most subscribers cost no rule evaluation per change.
   */
  readable(viewer: Viewer, active: ActiveCollection | null, data: unknown): boolean {
    if (bypassesRules(viewer.auth)) return true
    if (!active) return false
    const rule = active.rules.read
    const request = { data: null, method: this.docId ? 'get' : 'list' }
    if (this.verdict?.active !== active || this.verdict.viewer !== viewer) {
      this.verdict = { active, viewer, value: rule.decide({ auth: viewer.ruleAuth, request }, 'doc') }
    }
    if (this.verdict.value !== undefined) return this.verdict.value
    return rule.allows({ auth: viewer.ruleAuth, doc: data, request })
  }

  /** True when the subscription could ever match a change of `collection`/`id`. */
  concerns(change: DocumentChange): boolean {
    return change.collection === this.collection && (this.docId === undefined || this.docId === change.id)
  }

  private visible(
    change: DocumentChange,
    which: 'now' | 'before',
    viewer: Viewer,
    active: ActiveCollection | null,
  ): boolean {
    const document = which === 'now' ? change.document : change.previous
    return (
      !!document &&
      change.matches(which, this.where, this.whereKey) &&
      this.readable(viewer, active, document.data)
    )
  }

  /**
   * The frame this subscriber gets for `change`, or undefined. Created/deleted: sent when the document
   * (after/before) matches and is readable. Updated: sent when it matches now; sent once with
   * `matches:false` when it matched before and no longer does (it left the `where` or the read rule).
   */
  frameFor(change: DocumentChange, viewer: Viewer, active: ActiveCollection | null): string | undefined {
    if (!this.concerns(change)) return undefined
    switch (change.kind) {
      case 'created':
        return this.visible(change, 'now', viewer, active)
          ? changeFrame(this.id, change, 'created', change.serialised('document'), undefined)
          : undefined
      case 'deleted':
        return this.visible(change, 'before', viewer, active)
          ? changeFrame(this.id, change, 'deleted', change.serialised('previous'), undefined)
          : undefined
      case 'updated': {
        if (this.visible(change, 'now', viewer, active)) {
          const before = this.readable(viewer, active, change.previous!.data)
          return changeFrame(
            this.id,
            change,
            'updated',
            change.serialised('document'),
            before ? change.serialised('previous') : undefined,
          )
        }
        if (!this.visible(change, 'before', viewer, active)) return undefined
        const readableNow = this.readable(viewer, active, change.document!.data)
        return changeFrame(
          this.id,
          change,
          'updated',
          change.serialised(readableNow ? 'document' : 'stub'),
          change.serialised('previous'),
          false,
        )
      }
    }
  }
}
