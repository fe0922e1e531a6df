import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AuthRouteDeps } from './deps.ts'
import { adminUserSchema, dataField, emailField, errorResponse, passwordField } from './schemas.ts'

/** `:id` of /admin/v1/users/{id}…, shared by the user's sessions and factors routes. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128, description: 'the user id' } },
} as const

const adminUserResponse = {
  type: 'object',
  required: ['user'],
  additionalProperties: false,
  properties: { user: adminUserSchema },
} as const

const listSchema = {
  tags: ['admin', 'auth'],
  summary: 'List users in creation order, optionally filtered',
  description:
    'Filters combine (AND). The cursor is a position in creation order, so it pages any filter; pass the ' +
    'same filters with it. Email search scans the table (fine for the console; no index).',
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 1024 },
      email: {
        type: 'string',
        maxLength: 320,
        description: 'users whose email contains this text, in any case (a prefix or any part)',
      },
      anonymous: { type: 'boolean', description: 'true: anonymous users only; false: the others' },
      disabled: { type: 'boolean', description: 'true: disabled users only; false: enabled ones' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['users', 'nextCursor'],
      additionalProperties: false,
      properties: {
        users: { type: 'array', items: adminUserSchema },
        nextCursor: { type: ['string', 'null'] },
      },
    },
    '4xx': errorResponse,
  },
} as const

const createSchema = {
  tags: ['admin', 'auth'],
  summary: 'Create an email/password user (not signed in)',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: emailField,
      password: passwordField,
      data: dataField,
      emailVerified: { type: 'boolean' },
    },
  },
  response: { 201: adminUserResponse, '4xx': errorResponse },
} as const

const getSchema = {
  tags: ['admin', 'auth'],
  summary: 'One user, with its linked identities (OAuth/OIDC) and MFA factors',
  params: idParams,
  response: { 200: adminUserResponse, '4xx': errorResponse },
} as const

const patchSchema = {
  tags: ['admin', 'auth'],
  summary: 'Change a user; disabled: true ends its sessions and blocks sign-in and refresh',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      disabled: { type: 'boolean' },
      email: emailField,
      password: passwordField,
      data: dataField,
    },
  },
  response: { 200: adminUserResponse, '4xx': errorResponse },
} as const

const deleteSchema = {
  tags: ['admin', 'auth'],
  summary: 'Delete a user and its sessions (emits auth.user.deleted)',
  params: idParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /admin/v1/users: the service key's view of accounts. */
export async function adminUserRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/users', { schema: listSchema }, async (request) => deps.service.listUsers(request.query))

  r.post('/users', { schema: createSchema }, async (request, reply) => {
    const user = await deps.service.createUser(request.body)
    return reply.code(201).send({ user })
  })

  r.get('/users/:id', { schema: getSchema }, async (request) => ({
    user: await deps.service.getUser(request.params.id),
  }))

  r.patch('/users/:id', { schema: patchSchema }, async (request) => ({
    user: await deps.service.updateUser(request.params.id, request.body),
  }))

  r.delete('/users/:id', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.deleteUser(request.params.id)
    return reply.code(204).send(null)
  })
}
