import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { PassThrough } from 'node:stream'
import { EXPORT_FORMATS, writeExport, type ExportFormatId } from '../../src/export/index.ts'
import { ProjectParams, Stage } from '../../src/http/schemas.ts'
import { exportItems } from '../../src/services/export.ts'
import { blindScope, requireProject } from '../../src/services/projects.ts'

const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:projectId/export', {
    schema: {
      tags: ['articles'],
      summary: 'Export records with their decisions, reasons, notes and tags (RIS, BibTeX, CSV, XLSX, CSL-JSON)',
      description: 'Decisions go where reference managers keep them: RIS N1/KW, BibTeX note/keywords, CSL note; CSV and XLSX carry label_included. Every format carries the label block (every current decision with stage, reason, note, tags and reviewer, and the source database) that an import reads back. CSV cells a spreadsheet would run as formulas start with a single quote.',
      params: ProjectParams,
      querystring: Type.Object({
        format: Type.Union(Object.keys(EXPORT_FORMATS).map((f) => Type.Literal(f))),
        decision: Type.Optional(Type.Union([Type.Literal('include'), Type.Literal('exclude'), Type.Literal('maybe'), Type.Literal('undecided')])),
        stage: Type.Optional(Stage),
        includeDuplicates: Type.Boolean({ default: false })
      }, { additionalProperties: false })
    }
  }, async (request, reply) => {
    const { project, role } = await requireProject(fastify.db, request.user, request.params.projectId)
    const format = request.query.format as ExportFormatId
    const info = EXPORT_FORMATS[format]
    const items = exportItems(fastify.db, project.id, {
      decision: request.query.decision, stage: request.query.stage ?? 'title_abstract', includeDuplicates: request.query.includeDuplicates,
      ownDecisionsOf: blindScope(project, role, request.user.id)
    })
    const body = new PassThrough()
    writeExport(format, items, body).catch((err) => {
      request.log.error({ err }, 'export failed')
      body.destroy(err as Error)
    })
    const name = `${project.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'export'}.${info.extension}`
    return reply.header('content-type', info.contentType).header('content-disposition', `attachment; filename="${name}"`).send(body)
  })
}

export default exportRoutes
