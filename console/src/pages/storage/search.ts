/** The bucket page's place, kept in its URL: the tab, the folder open, the object previewed. */
export interface BucketSearch {
  tab?: 'objects' | 'settings'
  /** The folder open: '' (the root) or a prefix ending in `/`. */
  prefix?: string
  /** The object whose details and preview are open. */
  key?: string
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

export function bucketSearch(search: Record<string, unknown>): BucketSearch {
  const result: BucketSearch = {}
  if (search.tab === 'settings' || search.tab === 'objects') result.tab = search.tab
  const prefix = text(search.prefix)
  if (prefix) result.prefix = prefix
  const key = text(search.key)
  if (key) result.key = key
  return result
}

/** The bucket list: `deleted` names a bucket just deleted, to say so. */
export interface StorageSearch {
  deleted?: string
}

export function storageSearch(search: Record<string, unknown>): StorageSearch {
  const deleted = text(search.deleted)
  return deleted ? { deleted } : {}
}
