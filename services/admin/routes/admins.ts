import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { AdminRouteDeps } from './deps.ts'
import {
  adminResponse,
  adminSchema,
  emailField,
  errorResponse,
  idParams,
  passwordField,
  roleField,
} from './schemas.ts'

const listSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Every admin account (owner only)',
  response: {
    200: {
      type: 'object',
      required: ['admins'],
      additionalProperties: false,
      properties: { admins: { type: 'array', items: adminSchema } },
    },
    '4xx': errorResponse,
  },
} as const

const createSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Add an admin account (owner only; role defaults to owner)',
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: { email: emailField, password: passwordField, role: roleField },
  },
  response: { 201: adminResponse, '4xx': errorResponse },
} as const

const getSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'One admin account (owner only)',
  params: idParams,
  response: { 200: adminResponse, '4xx': errorResponse },
} as const

const patchSchema = {
  tags: ['admin', 'admin accounts'],
  summary: "Change an admin's email, password or role, or reset its TOTP with mfa: false (owner only)",
  description: 'A new password or role ends the admin’s sessions.',
  params: idParams,
  body: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      email: emailField,
      password: passwordField,
      role: roleField,
      mfa: { type: 'boolean', const: false, description: 'false removes the TOTP factor' },
    },
  },
  response: { 200: adminResponse, '4xx': errorResponse },
} as const

const deleteSchema = {
  tags: ['admin', 'admin accounts'],
  summary: 'Delete an admin account and its sessions (owner only)',
  params: idParams,
  response: { 204: { type: 'null' }, '4xx': errorResponse },
} as const

/** /admins: admin accounts (the gateway admits only owners and the service key). */
export async function adminAccountRoutes(app: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const r = app.withTypeProvider<JsonSchemaToTsProvider>()

  r.get('/admins', { schema: listSchema }, async () => ({ admins: await deps.service.list() }))

  r.post('/admins', { schema: createSchema }, async (request, reply) => {
    const admin = await deps.service.createAdmin(request.body)
    return reply.code(201).send({ admin })
  })

  r.get('/admins/:id', { schema: getSchema }, async (request) => ({
    admin: await deps.service.get(request.params.id),
  }))

  r.patch('/admins/:id', { schema: patchSchema }, async (request) => ({
    admin: await deps.service.update(request.params.id, request.body as { mfa?: false }),
  }))

  r.delete('/admins/:id', { schema: deleteSchema }, async (request, reply) => {
    await deps.service.delete(request.params.id)
    return reply.code(204).send(null)
  })
}
