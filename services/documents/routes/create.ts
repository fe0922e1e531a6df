import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FastifyInstance } from 'fastify'
import type { DocumentsRouteDeps } from './deps.ts'
import {
  bearerSecurity,
  collectionParams,
  dataField,
  documentSchema,
  errorResponse,
  idField,
  withEtag,
} from './schemas.ts'

const schema = {
  tags: ['db'],
  summary: 'Create a document (a new id unless one is given); 409 db/already-exists if the id is taken',
  security: bearerSecurity,
  params: collectionParams,
  body: {
    type: 'object',
    required: ['data'],
    additionalProperties: false,
    properties: { id: idField, data: dataField },
  },
  response: { 201: documentSchema, '4xx': errorResponse },
} as const

/** POST /collections/:col/documents */
export async function createRoute(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  app
    .withTypeProvider<JsonSchemaToTsProvider>()
    .post(
      '/collections/:col/documents',
      { schema, bodyLimit: deps.documentBodyLimit },
      async (request, reply) => {
        const document = await deps.service.createDocument(request.auth, request.params.col, request.body)
        return reply.code(201).send(withEtag(reply, document))
      },
    )
}
