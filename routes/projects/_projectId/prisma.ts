import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { PrismaCounts } from '../../../src/http/schemas/projects.ts'
import { prismaCounts } from '../../../src/services/prisma.ts'

/** PRISMA 2020 flow-diagram counts, from source batches, duplicate links and screening decisions. */
const prismaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/prisma', {
    schema: {
      tags: ['screening'], summary: 'PRISMA 2020 flow counts: records identified per source, duplicates removed, screened, excluded (with full-text reasons), included',
      params: ProjectParams, response: { 200: PrismaCounts }
    }
  }, async (request) => prismaCounts(fastify.db, request.project.id))
}

export default prismaRoutes
