import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ExportFormatId } from '../../../src/export/index.ts'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { ExportQuery } from '../../../src/http/schemas/export.ts'
import { projectCaller } from '../../../src/http/project-scope.ts'
import { exportFile } from '../../../src/services/export.ts'
import { reviewExport } from '../../../src/services/export-review.ts'
import { blindScope } from '../../../src/services/projects.ts'

const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/export', {
    schema: {
      tags: ['articles'],
      summary: 'Export records with their decisions, reasons, notes and tags (RIS, BibTeX, CSV, XLSX, CSL-JSON)',
      description: 'Decisions go where reference managers keep them: RIS N1/KW, BibTeX note/keywords, CSL note; CSV and XLSX carry label_included. Every format carries the label block (every current decision with stage, reason, note, tags and reviewer, and the source database) that an import reads back. CSV cells a spreadsheet would run as formulas start with a single quote. With include=extraction,rob: each article\'s extraction (gridId) and risk-of-bias judgements (robTool) as extraction:<column> and rob:<domain> columns (CSV, XLSX), RIS N1 and BibTeX annote lines, CSL custom.analylit.',
      params: ProjectParams,
      querystring: ExportQuery,
      response: { 200: FileResponse('application/octet-stream', 'the export file (RIS, BibTeX, CSV, XLSX or CSL-JSON)') }
    }
  }, async (request, reply) => {
    const { project, projectRole, query } = request
    // Checked before the first byte is sent: a bad grid or tool is a 4xx, not a broken download.
    const review = await reviewExport(fastify.db, projectCaller(request), query)
    const file = exportFile(fastify.db, project, query.format as ExportFormatId, {
      decision: query.decision, stage: query.stage ?? 'title_abstract', includeDuplicates: query.includeDuplicates,
      ownDecisionsOf: blindScope(project, projectRole, request.user.id)
    }, request.log, review)
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })
}

export default exportRoutes
