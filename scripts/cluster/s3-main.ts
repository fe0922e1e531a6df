// The cluster's S3: the test S3 server (s3rver with its shims) as a process of its own, so it can be
// killed and restarted like the other servers.
//   node --import tsx scripts/cluster/s3-main.ts <port> <directory> <bucket>
import { startTestS3 } from '../../test/storage/s3-server.ts'

const [port, directory, bucket] = process.argv.slice(2)
if (!port || !directory || !bucket) {
  process.stderr.write('usage: s3-main.ts <port> <directory> <bucket>\n')
  process.exit(2)
}
const s3 = await startTestS3(bucket, { port: Number(port), directory })
process.stdout.write(`s3 listening on ${s3.endpoint}\n`)
const stop = () => {
  s3.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
