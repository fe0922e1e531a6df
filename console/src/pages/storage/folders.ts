import type { StoredObject } from '../../api/storage.ts'

/** What one folder level shows: its sub-folders (full prefixes ending in `/`) and its own files. */
export interface FolderView {
  folders: string[]
  files: StoredObject[]
}

/**
 * The folders and files directly under `prefix`. Object storage has no folders: a "folder" is a key
 * prefix up to a `/`. The server may group them already (`prefixes`, with `delimiter=/`); otherwise
 * they are derived from the keys listed, which is also what merges both when pages mix.
 */
export function folderView(
  prefix: string,
  objects: readonly StoredObject[],
  prefixes: readonly string[] = [],
): FolderView {
  const folders = new Set<string>()
  for (const p of prefixes) if (p.startsWith(prefix) && p.length > prefix.length) folders.add(p)
  const files: StoredObject[] = []
  for (const object of objects) {
    if (!object.key.startsWith(prefix)) continue
    const rest = object.key.slice(prefix.length)
    const slash = rest.indexOf('/')
    if (slash === -1) files.push(object)
    else folders.add(prefix + rest.slice(0, slash + 1))
  }
  return { folders: [...folders].sort(), files }
}

/** The last segment of a folder prefix or a key: `a/b/` → `b`, `a/b/c.png` → `c.png`. */
export function baseName(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

/** The breadcrumb trail of `prefix`: each level with the prefix that opens it (the root is ''). */
export function breadcrumbs(prefix: string): { label: string; prefix: string }[] {
  const trail: { label: string; prefix: string }[] = []
  let at = 0
  for (;;) {
    const slash = prefix.indexOf('/', at)
    if (slash === -1) break
    trail.push({ label: prefix.slice(at, slash), prefix: prefix.slice(0, slash + 1) })
    at = slash + 1
  }
  return trail
}

/**
 * A folder prefix from what someone typed: slashes trimmed and repeated ones collapsed, always ending in
 * `/`; '' for nothing. Segments `.` and `..` are refused by the server; they are dropped here.
 */
export function normalizePrefix(input: string): string {
  const segments = input
    .split('/')
    .map((segment) => segment.trim())
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
  return segments.length ? `${segments.join('/')}/` : ''
}

/** The key a file gets when uploaded into `prefix` (a dropped folder's files keep their relative path). */
export function uploadKey(prefix: string, name: string, relativePath?: string): string {
  const path = relativePath && relativePath.length > 0 ? relativePath : name
  return prefix + path.replace(/^\/+/, '')
}
