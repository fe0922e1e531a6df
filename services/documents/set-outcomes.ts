/** Collections tracked at most; past this the tally starts over (a bound, not a working limit). */
const MAX_COLLECTIONS = 10_000
/** Weight of the newest outcome in a collection's average. */
const WEIGHT = 1 / 8

/**
 * How `set`s of each collection have turned out lately: creating a document or replacing one. A set
 * that creates can be one statement (insert the document and its event unless the id is taken), but
 * one that replaces must lock and read the document first (its rules and event need the old data), and
 * trying the insert first costs it a wasted round trip. So each collection takes the path its recent
 * sets favour. Both paths give the same result; only the round trips differ.
 */
export class SetOutcomes {
  /** Per collection: a moving average of sets that created (1) rather than replaced (0). */
  private readonly createdShare = new Map<string, number>()

  /** Whether a set in `collection` should try the one-statement create first (so far: yes). */
  tryCreateFirst(collection: string): boolean {
    return (this.createdShare.get(collection) ?? 1) >= 0.5
  }

  /** Records what a set did: `created` a document, or replaced one. */
  record(collection: string, created: boolean): void {
    const share = this.createdShare.get(collection)
    if (share === undefined && this.createdShare.size >= MAX_COLLECTIONS) this.createdShare.clear()
    const before = share ?? (created ? 1 : 0)
    this.createdShare.set(collection, before + ((created ? 1 : 0) - before) * WEIGHT)
  }
}
