import { type FieldPath, valueAt } from '../documents/query/paths.ts'
import { sortKey } from '../documents/query/sort-key.ts'
import type { DocumentChange, Subscription } from './subscription.ts'

/** The subscriptions of one `==` field, by the operand's sort key. */
interface EqualityIndex<T> {
  path: FieldPath
  buckets: Map<string, Map<Subscription, T>>
}

/**
 * One collection's subscriptions, indexed so that a change is tested only against those it can concern:
 * a subscription to one document sits under that document's id; one whose `where` has an `==` clause
 * sits under that clause's field and value (the matcher's `==` is sort-key equality, so the bucket of
 * a document's sort key holds exactly the subscriptions whose clause it can satisfy); the rest are
 * tested against every change. With 5,000 subscribers over 50 rooms, a write then costs 100 tests, not
 * 5,000. `T` is what the caller keeps beside each subscription (its connection).
 */
export class CollectionSubscribers<T> {
  private readonly others = new Map<Subscription, T>()
  private readonly byDocument = new Map<string, Map<Subscription, T>>()
  /** By the field path's JSON. */
  private readonly byField = new Map<string, EqualityIndex<T>>()
  /** Where each subscription was put, to take it out again. */
  private readonly homes = new Map<Subscription, Map<Subscription, T>>()

  get size(): number {
    return this.homes.size
  }

  add(subscription: Subscription, value: T): void {
    this.delete(subscription)
    const home = this.homeFor(subscription)
    home.set(subscription, value)
    this.homes.set(subscription, home)
  }

  delete(subscription: Subscription): void {
    const home = this.homes.get(subscription)
    if (!home) return
    home.delete(subscription)
    this.homes.delete(subscription)
    if (home.size > 0 || home === this.others) return
    // Drop emptied buckets, so a collection's index does not keep every value ever subscribed to.
    if (subscription.docId !== undefined) {
      this.byDocument.delete(subscription.docId)
      return
    }
    const clause = equalityClause(subscription)!
    const fieldKey = JSON.stringify(clause.path)
    const field = this.byField.get(fieldKey)
    field?.buckets.delete(clause.key)
    if (field?.buckets.size === 0) this.byField.delete(fieldKey)
  }

  /**
   * Every subscription `change` may concern (each once), with its value: a superset of those that get a
   * frame, which `Subscription.frameFor` decides. An update is looked up under the document's values
   * before and after, so a subscriber whose query the document leaves hears of it.
   */
  *candidates(change: DocumentChange): Iterable<[Subscription, T]> {
    yield* this.others
    const one = this.byDocument.get(change.id)
    if (one) yield* one
    if (this.byField.size === 0) return
    const now = change.document?.data
    const before = change.previous?.data
    for (const field of this.byField.values()) {
      const nowKey = change.document ? sortKey(valueAt(now, field.path)) : undefined
      const beforeKey = change.previous ? sortKey(valueAt(before, field.path)) : undefined
      if (nowKey !== undefined) {
        const bucket = field.buckets.get(nowKey)
        if (bucket) yield* bucket
      }
      if (beforeKey !== undefined && beforeKey !== nowKey) {
        const bucket = field.buckets.get(beforeKey)
        if (bucket) yield* bucket
      }
    }
  }

  private homeFor(subscription: Subscription): Map<Subscription, T> {
    if (subscription.docId !== undefined) return bucketOf(this.byDocument, subscription.docId)
    const clause = equalityClause(subscription)
    if (!clause) return this.others
    const fieldKey = JSON.stringify(clause.path)
    let field = this.byField.get(fieldKey)
    if (!field) {
      field = { path: clause.path, buckets: new Map() }
      this.byField.set(fieldKey, field)
    }
    return bucketOf(field.buckets, clause.key)
  }
}

function bucketOf<T>(map: Map<string, Map<Subscription, T>>, key: string): Map<Subscription, T> {
  let bucket = map.get(key)
  if (!bucket) {
    bucket = new Map()
    map.set(key, bucket)
  }
  return bucket
}

/** The first `==` clause of a subscription's `where` (the one it is indexed by), if any. */
function equalityClause(subscription: Subscription) {
  return subscription.where.find((clause) => clause.op === '==')
}
