import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { databaseViews } from '../src/services/search.ts'

const Database = Type.Object({
  id: Type.String(), label: Type.String(),
  configured: Type.Boolean({ description: 'false when a setting it needs is missing (see "missing")' }),
  missing: Type.Optional(Type.String()),
  baseUrl: Type.String(),
  rateLimit: Type.Object({ requestsPerSecond: Type.Number(), maxConcurrent: Type.Optional(Type.Number()), note: Type.String() }),
  supports: Type.Object({ search: Type.Boolean(), lookup: Type.Boolean(), citations: Type.Boolean(), openAccessPdf: Type.Boolean() })
})

/** `GET /api/databases`: the bibliographic databases, which are usable under this configuration, and what each supports. */
const databasesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/databases', {
    schema: { tags: ['search'], summary: 'Bibliographic databases: configured or not, rate limit, what each supports', response: { 200: Type.Array(Database) } }
  }, async () => databaseViews(fastify.connectors))
}

export default databasesRoutes
