import path from 'node:path'
import type { Config } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'
import { LocalStorageDriver } from './local/local-driver.ts'
import { S3StorageDriver } from './s3/s3-driver.ts'
import type { StorageDriver } from './storage-driver.ts'

/**
 * Opens the storage driver the configuration names: S3 when the S3_* variables are set (creating the
 * bucket if it is missing and the credentials allow it), else local disk under `<dataDir>/storage`.
 * Its `ping` is the storage check of /ready.
 */
export async function openStorage(
  config: Pick<Config, 's3' | 'dataDir'>,
  logger: Logger,
): Promise<StorageDriver> {
  const { s3 } = config
  if (s3.endpoint && s3.accessKey && s3.secretKey && s3.bucket) {
    const driver = new S3StorageDriver({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: s3.bucket,
      region: s3.region,
    })
    // Not fatal, and not waited on for long: S3 may be down at boot (/ready reports it), or the key may
    // not be allowed to create buckets.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      driver.ensureBucket().catch((error) => {
        logger.warn({ err: error, bucket: s3.bucket }, 'could not check or create the S3 bucket')
      }),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 5000)
      }),
    ])
    clearTimeout(timer)
    return driver
  }
  return LocalStorageDriver.open({ root: path.join(config.dataDir, 'storage') })
}
