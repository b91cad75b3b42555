import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { PrismaOverrides, PrismaRecords, PrismaRecordsQuery } from '../../../src/http/schemas/prisma.ts'
import { PrismaCounts } from '../../../src/http/schemas/projects.ts'
import { prismaCounts, prismaDiagram, prismaRecords, setPrismaOverrides } from '../../../src/services/prisma.ts'

const DIAGRAM_TYPES = { svg: 'image/svg+xml', png: 'image/png', pdf: 'application/pdf' } as const

/** PRISMA 2020 flow-diagram counts, the records behind each, manual overrides and the diagram. */
const prismaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/prisma', {
    schema: {
      tags: ['screening'], summary: 'PRISMA 2020 flow counts: records identified per source, duplicates removed, screened, excluded (with full-text reasons), included',
      params: ProjectParams, response: { 200: PrismaCounts }
    }
  }, async (request) => prismaCounts(fastify.db, request.project.id))

  fastify.get('/prisma/records', {
    schema: {
      tags: ['screening'], summary: 'The ids of the records counted in one PRISMA box (the records_url of each count)',
      params: ProjectParams, querystring: PrismaRecordsQuery, response: { 200: PrismaRecords }
    }
  }, async (request) => prismaRecords(fastify.db, request.project.id, request.query))

  fastify.get('/prisma/overrides', {
    config: { role: 'owner' },
    schema: { tags: ['screening'], summary: 'Counts entered by hand for boxes the records cannot tell', params: ProjectParams, response: { 200: PrismaOverrides } }
  }, async (request) => (await prismaCounts(fastify.db, request.project.id)).overrides)

  fastify.put('/prisma/overrides', {
    config: { role: 'owner' },
    schema: {
      tags: ['screening'], summary: 'Replace the counts entered by hand (each with a note); {} removes them all',
      params: ProjectParams, body: PrismaOverrides, response: { 200: PrismaOverrides }
    }
  }, async (request) => setPrismaOverrides(fastify.db, request.project.id, request.body, request.user.id))

  for (const format of ['svg', 'png', 'pdf'] as const) {
    fastify.get(`/prisma/diagram.${format}`, {
      schema: {
        tags: ['screening'], summary: `The PRISMA 2020 flow diagram as ${format.toUpperCase()}`,
        params: ProjectParams, response: { 200: FileResponse(DIAGRAM_TYPES[format], 'the flow diagram') }
      }
    }, async (request, reply) => reply.type(DIAGRAM_TYPES[format])
      .header('content-disposition', `${format === 'svg' ? 'inline' : 'attachment'}; filename="prisma-flow-diagram.${format}"`)
      .send(await prismaDiagram(fastify.db, request.project.id, format)))
  }
}

export default prismaRoutes
