import type { FastifyReply, FastifyRequest } from 'fastify'
import { type ObjectMetadata, quotedEtag } from '../service.ts'

/** Request headers that become object metadata: `x-stratus-meta-<name>: <value>`. */
export const META_PREFIX = 'x-stratus-meta-'

/**
 * The `x-stratus-meta-*` headers of a request, as metadata. Header bytes arrive as latin1 strings:
 * they are decoded as UTF-8, so a client may send UTF-8 values.
 */
export function metadataFromHeaders(request: FastifyRequest): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    metadata[name.slice(META_PREFIX.length)] = Buffer.from(text, 'latin1').toString('utf8')
  }
  return metadata
}

/** The key, with each segment percent-encoded, as it appears in a URL path. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/')
}

/** `inline` or `attachment` with the file name (RFC 6266: an ASCII fallback plus `filename*`). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/** The headers describing an object on GET and HEAD (not the length: that depends on the range). */
export function setObjectHeaders(
  reply: FastifyReply,
  object: ObjectMetadata,
  options: { download?: string | boolean } = {},
): void {
  const name = object.key.slice(object.key.lastIndexOf('/') + 1)
  const download = options.download
  reply.header('content-type', object.contentType)
  reply.header('etag', quotedEtag(object.etag))
  reply.header('last-modified', new Date(object.updatedAt).toUTCString())
  reply.header('accept-ranges', 'bytes')
  // Always revalidate (cheap with the etag): an overwrite shows at once.
  reply.header('cache-control', 'no-cache')
  reply.header(
    'content-disposition',
    download === undefined || download === false
      ? contentDisposition('inline', name)
      : contentDisposition('attachment', typeof download === 'string' && download !== '' ? download : name),
  )
  reply.header('x-content-type-options', 'nosniff')
  for (const [key, value] of Object.entries(object.metadata)) {
    reply.header(`${META_PREFIX}${key}`, Buffer.from(value, 'utf8').toString('latin1'))
  }
}
