import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Database } from '../src/http/schemas/searches.ts'
import { databaseViews } from '../src/services/search.ts'

/** `GET /api/databases`: the bibliographic databases, which are usable under this configuration, and what each supports. */
const databasesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/databases', {
    schema: { tags: ['search'], summary: 'Bibliographic databases: configured or not, rate limit, what each supports', response: { 200: Type.Array(Database) } }
  }, async () => databaseViews(fastify.connectors))
}

export default databasesRoutes
