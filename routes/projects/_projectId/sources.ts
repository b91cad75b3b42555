import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { SourceBatch } from '../../../src/http/schemas/imports.ts'
import { listSources } from '../../../src/services/sources.ts'

/** Every import, search and lookup that added records: the PRISMA "records identified" per source. */
const sourcesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/sources', {
    schema: { tags: ['articles'], summary: 'Source batches (imports, searches, identifier lookups, citation chasing) with their counts', params: ProjectParams, response: { 200: Type.Array(SourceBatch) } }
  }, async (request) => listSources(fastify.db, request.project.id))
}

export default sourcesRoutes
