import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import { StratusError } from '../../core/errors.ts'
import type { AuthRouteDeps } from './deps.ts'
import { errorResponse } from './schemas.ts'

const mailSchema = {
  tags: ['admin', 'auth'],
  summary: 'The dev mailbox: mail sent while no SMTP server is configured, newest first',
  querystring: {
    type: 'object',
    properties: {
      to: { type: 'string', minLength: 1, maxLength: 320 },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 64 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['mails', 'nextCursor'],
      additionalProperties: false,
      properties: {
        mails: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'to', 'from', 'subject', 'text', 'html', 'createdAt'],
            additionalProperties: false,
            properties: {
              id: { type: 'string' },
              to: { type: 'string' },
              from: { type: 'string' },
              subject: { type: 'string' },
              text: { type: 'string' },
              html: { type: ['string', 'null'] },
              createdAt: { type: 'string', format: 'date-time' },
            },
          },
        },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

/** GET /admin/v1/mail: reads the dev mailbox (404 when mail goes out through SMTP). */
export async function adminMailRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()
  r.get('/mail', { schema: mailSchema }, async (request) => {
    if (!deps.mailbox)
      throw new StratusError('request/not-found', 'The dev mailbox is off: mail goes out through SMTP_URL')
    const { to, limit, cursor } = request.query
    const page = await deps.mailbox.list({ to, limit: limit + 1, before: cursor })
    const mails = page.slice(0, limit)
    return {
      mails,
      nextCursor: page.length > limit ? (mails[mails.length - 1]?.id ?? null) : null,
    }
  })
}
