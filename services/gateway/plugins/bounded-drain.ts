import type { IncomingHttpHeaders } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** At most this much of a refused body is read and thrown away after the answer… */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024
/** …and for at most this long; then the connection is closed. */
export const DRAIN_MAX_MS = 10_000

/** An HTTP/1.1 upgrade request (`Connection: upgrade` and an `Upgrade` header), as Node's parser tells one. */
function isUpgrade(headers: IncomingHttpHeaders): boolean {
  return headers.upgrade !== undefined && /(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection ?? '')
}

/**
 * Lingering close, as nginx does it. An answer sent before the request body was read (a 413, a 401 on
 * an upload) used to go out with `connection: close` (fastify's choice for parser errors): the server
 * then closed while the client was still writing, and the client's write failed with EPIPE/ECONNRESET
 * before it read the answer. Instead the connection stays open while the rest of the body is read and
 * thrown away — within a bound in bytes and time, past which it is closed, so a client streaming
 * gigabytes at a refusal cannot hold the socket (or the bandwidth) for as long as it likes. A body
 * drained to its end leaves a connection fit for the next request.
 */
export const boundedDrainPlugin = fp(
  async (app: FastifyInstance) => {
    // A callback hook, not an async one: a promise per response costs the hot path for nothing here.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (!request.raw.complete && !request.raw.destroyed) reply.removeHeader('connection')
      done(null, payload)
    })
    app.addHook('onResponse', (request, _reply, done) => {
      const raw = request.raw
      const socket = raw.socket
      // A WebSocket upgrade answered over HTTP instead (a bad token refused before the realtime route
      // upgraded it, an unknown path): its socket came from the server's 'upgrade' event, which neither
      // keep-alive nor close's idle sweep tracks, so nothing else would ever close it and a graceful
      // shutdown would wait on it forever. The answer is flushed: end the socket.
      if (isUpgrade(raw.headers) && socket instanceof Socket) {
        if (!socket.destroyed) socket.destroySoon()
        return done()
      }
      // Injected requests (light-my-request, the in-process calls of functions' ctx) have no real socket.
      if (raw.complete || raw.destroyed || !(socket instanceof Socket) || socket.destroyed) return done()
      // Counted on the socket: Node's own dump of an unread request drops 'data' listeners.
      const readBefore = socket.bytesRead
      const close = () => {
        cleanup()
        socket.destroy()
      }
      const watch = setInterval(() => {
        if (socket.bytesRead - readBefore > DRAIN_MAX_BYTES) close()
      }, 50)
      const deadline = setTimeout(close, DRAIN_MAX_MS)
      watch.unref()
      deadline.unref()
      function cleanup() {
        clearInterval(watch)
        clearTimeout(deadline)
        raw.off('end', cleanup)
        socket.off('close', cleanup)
      }
      raw.once('end', cleanup)
      socket.once('close', cleanup)
      // Node dumps an unread request once its response has finished; make sure it flows either way.
      raw.resume()
      done()
    })
  },
  { name: 'stratus-bounded-drain' },
)
