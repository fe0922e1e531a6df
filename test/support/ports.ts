import { createServer } from 'node:net'

/**
 * A TCP port free on 127.0.0.1 right now (the kernel picks it). Another socket may still take it before
 * the caller binds: a server started on it should be retried on EADDRINUSE (see `isAddressInUse`).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** True when a child server's output says its port was taken. */
export function isAddressInUse(output: string): boolean {
  return output.includes('EADDRINUSE')
}
