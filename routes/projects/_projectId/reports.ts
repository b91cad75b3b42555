import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { BibliographyQuery } from '../../../src/http/schemas/reports.ts'
import { blindScope } from '../../../src/services/projects.ts'
import { bibliographyFile, reportWorkbookFile } from '../../../src/services/reports.ts'

const reportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/bibliography', {
    schema: {
      tags: ['reports'],
      summary: 'Bibliography of the included (screened, all) records in a citation style (text, HTML, RTF), or as BibTeX/RIS',
      params: ProjectParams,
      querystring: BibliographyQuery,
      response: { 200: FileResponse('text/plain', 'the bibliography, one reference a line (text), an HTML fragment, an RTF document, BibTeX or RIS') }
    }
  }, async (request, reply) => {
    const { project, projectRole, query } = request
    const file = await bibliographyFile(fastify.db, project, { ...(query as BibliographyQuery), ownDecisionsOf: blindScope(project, projectRole, request.user.id) })
    return reply.header('content-type', file.contentType).header('content-disposition', `inline; filename="${file.fileName}"`).send(file.body)
  })

  fastify.get('/report.xlsx', {
    schema: {
      tags: ['reports'],
      summary: 'Report workbook: articles, decisions with reasons, PRISMA counts, one sheet per screening stage (headers frozen, filters on)',
      params: ProjectParams,
      response: { 200: FileResponse('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'the workbook') }
    }
  }, async (request, reply) => {
    const { project, projectRole } = request
    const file = await reportWorkbookFile(fastify.db, project, request.log, blindScope(project, projectRole, request.user.id))
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })
}

export default reportRoutes
