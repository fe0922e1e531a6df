import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { RealtimeService } from '../service.ts'

/** What the realtime routes need. */
export interface RealtimeRouteDeps {
  service: RealtimeService
  /** Largest client frame accepted, in bytes (a larger one closes the connection with 1009). */
  maxFrameBytes?: number
}

/**
 * `/realtime/v1`: the WebSocket endpoint. `?access_token=` (or an Authorization header, which the
 * gateway has already verified) names the caller; frames are handed to the service one by one.
 */
export function realtimeRoutes(deps: RealtimeRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await app.register(websocket, { options: { maxPayload: deps.maxFrameBytes ?? 64 * 1024 } })
    app.get(
      '/',
      {
        websocket: true,
        schema: {
          hide: true,
          querystring: {
            type: 'object',
            properties: { access_token: { type: 'string', maxLength: 16_384 } },
          },
        },
      },
      (socket, request) => {
        const token = (request.query as { access_token?: string }).access_token || undefined
        const connection = deps.service.open(socket, { token, auth: request.auth })
        socket.on('message', (data) => {
          // Frames are JSON text; a binary frame is read as UTF-8 (and refused if it is not JSON).
          const bytes = Array.isArray(data)
            ? Buffer.concat(data)
            : Buffer.isBuffer(data)
              ? data
              : Buffer.from(data)
          connection.receive(bytes.toString('utf8'))
        })
        socket.on('pong', () => connection.pong())
        socket.on('close', () => connection.disconnected())
        socket.on('error', (error) => {
          request.log.debug({ err: error }, 'realtime socket error')
          connection.disconnected()
        })
      },
    )
  }
}
