import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { sendError } from '../../http/send-error.ts'
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
  const logger = deps.service.logger
  return async (app: FastifyInstance) => {
    await app.register(websocket, { options: { maxPayload: deps.maxFrameBytes ?? 64 * 1024 } })
    app.route({
      method: 'GET',
      url: '/',
      // A plain GET (no upgrade) gets the error envelope; @fastify/websocket's default is an empty 404.
      handler: (request, reply) =>
        sendError(
          reply,
          'request/invalid',
          `${request.method} /realtime/v1 opens a WebSocket: send Connection: Upgrade and Upgrade: websocket`,
        ),
      schema: {
        tags: ['realtime'],
        summary: 'Open the realtime WebSocket (an HTTP/1.1 upgrade; the frames are JSON)',
        description:
          'A GET with `Connection: Upgrade` and `Upgrade: websocket` switches protocols (101). The client then sends `subscribe`, `unsubscribe`, `auth` and `ping` frames and receives `subscribed`, `change`, `error` and `pong` frames, one JSON object per text frame, for the documents its rules let it read: the protocol is in docs/realtime.md. The caller is `?access_token=` or the Authorization header; without either it is `anon`. A bad token is refused before the upgrade (401); a GET without the upgrade is 400 `request/invalid`.',
        querystring: {
          type: 'object',
          properties: {
            access_token: {
              type: 'string',
              maxLength: 16_384,
              description: 'an access token, for browsers (which cannot set headers on a WebSocket)',
            },
          },
        },
        response: {
          101: { description: 'Switching Protocols: the connection is now a WebSocket' },
          '4xx': { $ref: 'Error#' },
        },
      },
      wsHandler: (socket, request) => {
        const token = (request.query as { access_token?: string }).access_token || undefined
        const connection = deps.service.open(socket, { token, auth: request.auth })
        letGoOfRequest(request)
        // Replaces @fastify/websocket's error listener, which held the request (see letGoOfRequest),
        // and ends the socket as it did.
        socket.removeAllListeners('error')
        socket.on('error', (error) => {
          logger.debug({ err: error }, 'realtime socket error')
          connection.disconnected()
          socket.terminate()
        })
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
      },
    })
  }
}

/**
 * After the upgrade nothing needs the HTTP request, but the upgraded socket still points at the HTTP
 * response (which points at the request): with the headers, the URL (the token in it) and the request's
 * logger, some 4 KiB kept per idle connection. Detaching the response lets them go.
 */
function letGoOfRequest(request: FastifyRequest): void {
  const socket = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null }
  socket._httpMessage?.detachSocket(socket)
}
