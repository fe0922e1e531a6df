/**
 * The storage service's rows and their public shapes (API.md): buckets as `PUT /admin/v1/buckets`
 * describes them, objects as `{bucket,key,size,contentType,etag,metadata,createdAt,updatedAt}`.
 */

/** The CEL rules of a bucket; an absent rule denies everyone but the service key. */
export interface BucketRules {
  read?: string
  write?: string
  delete?: string
}

/** A bucket as the admin API shows it. */
export interface Bucket {
  name: string
  public: boolean
  rules: BucketRules
  /** Bytes; null = the platform limit. */
  maxFileSize: number | null
  /** Media types or `type/*` patterns; empty = any. */
  allowedContentTypes: string[]
  createdAt: string
  updatedAt: string
}

/** An object's public metadata. */
export interface ObjectMetadata {
  bucket: string
  key: string
  size: number
  contentType: string
  /** Hex SHA-256 of the bytes (sent quoted in the ETag header). */
  etag: string
  metadata: Record<string, string>
  createdAt: string
  updatedAt: string
}

/** An object's metadata with the version naming its bytes in the driver (never sent to clients). */
export interface StoredObject extends ObjectMetadata {
  version: string
}

export interface BucketRow extends Record<string, unknown> {
  name: string
  public: boolean
  rules: BucketRules | null
  max_file_size: number | string | null
  allowed_content_types: string[] | null
  created_at: Date
  updated_at: Date
}

export interface ObjectRow extends Record<string, unknown> {
  bucket: string
  key: string
  version: string
  size: number | string
  content_type: string
  etag: string
  metadata: Record<string, string> | null
  created_at: Date
  updated_at: Date
}

export const BUCKET_COLUMNS =
  'name, public, rules, max_file_size, allowed_content_types, created_at, updated_at'
export const OBJECT_COLUMNS =
  'bucket, key, version, size, content_type, etag, metadata, created_at, updated_at'

export function toBucket(row: BucketRow): Bucket {
  return {
    name: row.name,
    public: row.public,
    rules: row.rules ?? {},
    maxFileSize: row.max_file_size === null ? null : Number(row.max_file_size),
    allowedContentTypes: row.allowed_content_types ?? [],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export function toStoredObject(row: ObjectRow): StoredObject {
  return {
    bucket: row.bucket,
    key: row.key,
    version: row.version,
    size: Number(row.size),
    contentType: row.content_type,
    etag: row.etag,
    metadata: row.metadata ?? {},
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

/** The public metadata of a stored object (drops the version). */
export function toObjectMetadata(object: StoredObject): ObjectMetadata {
  const { version: _version, ...metadata } = object
  return metadata
}
