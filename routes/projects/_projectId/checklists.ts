import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { FileResponse, ProjectParams } from '../../../src/http/schemas/common.ts'
import { ChecklistExportQuery, ChecklistParams, ChecklistSummary, ChecklistUpdate, ChecklistView } from '../../../src/http/schemas/prisma.ts'
import { exportChecklist, listChecklists, projectChecklist, updateChecklist } from '../../../src/services/checklists.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

/** Reporting checklists (PRISMA 2020, its abstract checklist, PRISMA-ScR, PRISMA-S) filled in per project. */
const checklistRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/checklists', {
    schema: { tags: ['reporting'], summary: 'The reporting checklists available', params: ProjectParams, response: { 200: Type.Array(ChecklistSummary) } }
  }, async () => listChecklists())

  fastify.get('/checklists/:checklist', {
    schema: {
      tags: ['reporting'], summary: 'The project\'s copy of a checklist: status, location and notes per item, evidence pre-filled from the project',
      params: ChecklistParams, response: { 200: ChecklistView }
    }
  }, async (request) => {
    const { instance: _, ...view } = await projectChecklist(fastify.db, request.project.id, request.params.checklist)
    return view
  })

  fastify.put('/checklists/:checklist', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['reporting'], summary: 'Update items of the project\'s checklist (only the fields given)',
      params: ChecklistParams, body: ChecklistUpdate, response: { 200: ChecklistView }
    }
  }, async (request) => {
    const { instance: _, ...view } = await updateChecklist(fastify.db, request.project.id, request.params.checklist, request.body, request.user.id)
    return view
  })

  fastify.get('/checklists/:checklist/export', {
    schema: {
      tags: ['reporting'], summary: 'The project\'s checklist as CSV, XLSX or DOCX (table: item, topic, status, location, notes)',
      params: ChecklistParams, querystring: ChecklistExportQuery,
      response: { 200: { description: 'the checklist', content: { 'text/csv': FileResponse('text/csv', '').content['text/csv'], [XLSX]: FileResponse(XLSX, '').content[XLSX], [DOCX]: FileResponse(DOCX, '').content[DOCX] } } }
    }
  }, async (request, reply) => {
    const format = request.query.format ?? 'csv'
    const body = await exportChecklist(fastify.db, request.project.id, request.params.checklist, format, request.query.language)
    return reply.type(format === 'xlsx' ? XLSX : format === 'docx' ? DOCX : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${request.params.checklist.replace(/[^\w.-]/g, '_')}.${format}"`).send(body)
  })
}

export default checklistRoutes
