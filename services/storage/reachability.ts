import { constants } from 'node:fs'
import { access, mkdir } from 'node:fs/promises'
import path from 'node:path'
import * as Minio from 'minio'
import type { Config } from '../core/config.ts'

/**
 * Checks that object storage can be reached, for /ready: the local storage directory is writable, or
 * the configured S3 bucket answers. (The storage service itself arrives with its own issue; this probe
 * is what the operations endpoints need today.)
 */
export function storageReachability(config: Pick<Config, 's3' | 'dataDir'>): () => Promise<void> {
  const { s3 } = config
  if (s3.endpoint && s3.accessKey && s3.secretKey && s3.bucket) {
    const endpoint = new URL(s3.endpoint)
    const client = new Minio.Client({
      endPoint: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      useSSL: endpoint.protocol === 'https:',
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      region: s3.region,
      pathStyle: true,
    })
    const bucket = s3.bucket
    return async () => {
      if (!(await client.bucketExists(bucket))) throw new Error(`S3 bucket ${bucket} does not exist`)
    }
  }
  const dir = path.join(config.dataDir, 'storage')
  return async () => {
    await mkdir(dir, { recursive: true })
    await access(dir, constants.W_OK)
  }
}
