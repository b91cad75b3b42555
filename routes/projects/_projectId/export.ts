import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { EXPORT_FORMATS, type ExportFormatId } from '../../../src/export/index.ts'
import { DecisionFilter, FileResponse, ProjectParams, Stage } from '../../../src/http/schemas/common.ts'
import { exportFile } from '../../../src/services/export.ts'
import { blindScope } from '../../../src/services/projects.ts'

const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/export', {
    schema: {
      tags: ['articles'],
      summary: 'Export records with their decisions, reasons, notes and tags (RIS, BibTeX, CSV, XLSX, CSL-JSON)',
      description: 'Decisions go where reference managers keep them: RIS N1/KW, BibTeX note/keywords, CSL note; CSV and XLSX carry label_included. Every format carries the label block (every current decision with stage, reason, note, tags and reviewer, and the source database) that an import reads back. CSV cells a spreadsheet would run as formulas start with a single quote.',
      params: ProjectParams,
      querystring: Type.Object({
        format: Type.Union(Object.keys(EXPORT_FORMATS).map((f) => Type.Literal(f))),
        decision: Type.Optional(DecisionFilter),
        stage: Type.Optional(Stage),
        includeDuplicates: Type.Boolean({ default: false })
      }, { additionalProperties: false }),
      response: { 200: FileResponse('application/octet-stream', 'the export file (RIS, BibTeX, CSV, XLSX or CSL-JSON)') }
    }
  }, async (request, reply) => {
    const { project, projectRole, query } = request
    const file = exportFile(fastify.db, project, query.format as ExportFormatId, {
      decision: query.decision, stage: query.stage ?? 'title_abstract', includeDuplicates: query.includeDuplicates,
      ownDecisionsOf: blindScope(project, projectRole, request.user.id)
    }, request.log)
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })
}

export default exportRoutes
