import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { BibliographyQuery, ReportDocxQuery, ReportRequest, ReportTaskParams } from '../../../src/http/schemas/reports.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { projectCaller } from '../../../src/http/project-scope.ts'
import type { ReportSection } from '../../../src/reporting/docx.ts'
import { DOCX_TYPE, queueReport, reportDocument, reportDownload } from '../../../src/services/report-document.ts'
import { blindScope } from '../../../src/services/projects.ts'
import { bibliographyFile, reportWorkbookFile, reviewSheets } from '../../../src/services/reports.ts'

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
      summary: 'Report workbook: articles, decisions with reasons, PRISMA counts, one sheet per screening stage, extraction (consensus) per grid, risk of bias per tool, meta-analyses (headers frozen, filters on)',
      params: ProjectParams,
      response: { 200: FileResponse('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'the workbook') }
    }
  }, async (request, reply) => {
    const { project, projectRole } = request
    const later = await reviewSheets(fastify.db, { project, role: projectRole, user: request.user })
    const file = await reportWorkbookFile(fastify.db, project, request.log, blindScope(project, projectRole, request.user.id), later)
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })

  fastify.post('/reports', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['reports'],
      summary: 'Build the report document (DOCX) or the report bundle (ZIP: report, figures SVG+PNG, tables CSV+XLSX, bibliography, checklists) as a background task',
      params: ProjectParams, body: ReportRequest, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueReport(fastify, projectCaller(request), request.body as ReportRequest)))

  fastify.get('/reports/:taskId/download', {
    schema: {
      tags: ['reports'],
      summary: 'The file a report task built (409 while it runs or when it failed)',
      params: ReportTaskParams,
      response: {
        200: {
          description: 'the report document or bundle',
          content: { [DOCX_TYPE]: FileResponse(DOCX_TYPE, '').content[DOCX_TYPE], 'application/zip': FileResponse('application/zip', '').content['application/zip'] }
        }
      }
    }
  }, async (request, reply) => {
    const file = await reportDownload(fastify.db, fastify.storageDir, projectCaller(request), request.params.taskId)
    return reply.header('content-type', file.contentType).header('content-length', file.size)
      .header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.stream)
  })

  fastify.get('/report.docx', {
    schema: {
      tags: ['reports'],
      summary: 'The report document (DOCX) built in the request: fine for small projects; POST /reports builds it as a task',
      params: ProjectParams, querystring: ReportDocxQuery,
      response: { 200: FileResponse(DOCX_TYPE, 'the report document') }
    }
  }, async (request, reply) => {
    const { style, language, sections } = request.query as ReportDocxQuery
    const file = await reportDocument(fastify.db, projectCaller(request), { style, language, sections: sections?.split(',') as ReportSection[] | undefined })
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })
}

export default reportRoutes
