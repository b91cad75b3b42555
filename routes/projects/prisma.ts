import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams } from '../../src/http/schemas.ts'
import { requireProject } from '../../src/services/projects.ts'
import { prismaCounts } from '../../src/services/prisma.ts'

/** PRISMA 2020 flow-diagram counts, from source batches, duplicate links and screening decisions. */
const prismaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:projectId/prisma', {
    schema: {
      tags: ['screening'], summary: 'PRISMA 2020 flow counts: records identified per source, duplicates removed, screened, excluded (with full-text reasons), included',
      params: ProjectParams
    }
  }, async (request) => {
    await requireProject(fastify.db, request.user, request.params.projectId)
    return prismaCounts(fastify.db, request.params.projectId)
  })
}

export default prismaRoutes
