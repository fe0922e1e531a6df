import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3StorageDriver } from '../../services/storage/s3/s3-driver.ts'
import { digest, driverContract, generated } from './driver-contract.ts'
import { startTestS3, type TestS3 } from './s3-server.ts'

const PART_SIZE = 5 * 1024 * 1024

function s3Driver(s3: TestS3, bucket = s3.bucket) {
  return new S3StorageDriver({
    endpoint: s3.endpoint,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    bucket,
    region: 'us-east-1',
    partSize: PART_SIZE,
  })
}

driverContract('S3 (s3rver, minio client)', async () => {
  const s3 = await startTestS3()
  return {
    driver: s3Driver(s3),
    partSize: PART_SIZE,
    leftovers: async () => s3.pendingUploads().map((id) => `multipart upload ${id}`),
    close: () => s3.close(),
  }
})

describe('S3 driver', () => {
  let s3: TestS3
  beforeAll(async () => {
    s3 = await startTestS3('stratus-s3-extra')
  })
  afterAll(async () => {
    await s3?.close()
  })

  it('keeps blobs at their path in the one S3 bucket, with the content type', async () => {
    const driver = s3Driver(s3)
    await driver.put('photos/cat.png/v1', Readable.from([Buffer.from('png')]), { contentType: 'image/png' })
    const stat = await driver.client.statObject(s3.bucket, 'photos/cat.png/v1')
    expect(stat.size).toBe(3)
    expect(stat.metaData['content-type']).toBe('image/png')
    await driver.delete('photos/cat.png/v1')
  })

  it('sends multipart parts through the minio client and completes them into one object', async () => {
    const driver = s3Driver(s3)
    const size = PART_SIZE * 3 + 1
    const expected = await digest(generated(size, 5))
    await driver.put('multi/part.bin/v1', generated(size, 5))
    // Read back through the client directly: the object S3 holds is the whole body.
    expect(await digest(await driver.client.getObject(s3.bucket, 'multi/part.bin/v1'))).toEqual(expected)
    expect(s3.pendingUploads()).toEqual([])
    await driver.delete('multi/part.bin/v1')
  })

  it('is refused with wrong credentials (the server checks signatures)', async () => {
    const driver = new S3StorageDriver({
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: 'wrong-secret',
      bucket: s3.bucket,
      region: 'us-east-1',
    })
    await expect(driver.put('x/y/v1', Readable.from([Buffer.from('1')]))).rejects.toThrow(/signature/i)
  })

  it('pings: a missing bucket fails, ensureBucket creates it', async () => {
    const driver = s3Driver(s3, 'not-yet-there')
    await expect(driver.ping()).rejects.toThrow(/does not exist/)
    await driver.ensureBucket()
    await expect(driver.ping()).resolves.toBeUndefined()
  })
})
