import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { FileResponse, NoContent, ProjectParams } from '../../../src/http/schemas/common.ts'
import { Analysis, AnalysisBody, AnalysisMultipart, AnalysisParams, AnalysisPatch, AnalysisSummary, ResultQuery } from '../../../src/http/schemas/meta-analysis.ts'
import type { UploadPart } from '../../../src/services/imports.ts'
import {
  PLOT_TYPES, analysisPlot, createAnalysis, createAnalysisFromUpload, deleteAnalysis, getAnalysis, listAnalyses, updateAnalysis, type PlotFormat
} from '../../../src/services/meta-analysis.ts'

/** Stored meta-analyses: input table, options and result, with forest and funnel plots. */
const metaAnalysisRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const tags = ['meta-analysis']

  fastify.get('/analyses', {
    schema: { tags, summary: 'The project\'s meta-analyses, newest first, with their pooled estimates', params: ProjectParams, response: { 200: Type.Array(AnalysisSummary) } }
  }, async (request) => listAnalyses(db, request.project.id))

  fastify.post('/analyses', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Run and store a meta-analysis of the rows given', params: ProjectParams, body: AnalysisBody, response: { 201: Analysis } }
  }, async (request, reply) => reply.status(201).send(await createAnalysis(db, request.project.id, request.user.id, request.body)))

  fastify.post('/analyses/upload', {
    config: { role: 'reviewer', openapiBody: AnalysisMultipart },
    schema: {
      tags, summary: 'Run and store a meta-analysis of an uploaded CSV or XLSX table (multipart field "file", options as fields)',
      params: ProjectParams, consumes: ['multipart/form-data'], response: { 201: Analysis }
    }
  }, async (request, reply) => {
    const parts = request.isMultipart() ? request.parts() as AsyncIterable<UploadPart> : undefined
    return reply.status(201).send(await createAnalysisFromUpload(db, request.project.id, request.user.id, parts, fastify.config.UPLOAD_MAX_BYTES))
  })

  fastify.get('/analyses/:analysisId', {
    schema: {
      tags, summary: 'A stored meta-analysis: input rows, options and result (leave-one-out and small-study effects when asked)',
      params: AnalysisParams, querystring: ResultQuery, response: { 200: Analysis }
    }
  }, async (request) => getAnalysis(db, request.project.id, request.params.analysisId, request.query))

  fastify.patch('/analyses/:analysisId', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Change the name, rows or options of a meta-analysis; the result is computed again', params: AnalysisParams, body: AnalysisPatch, response: { 200: Analysis } }
  }, async (request) => updateAnalysis(db, request.project.id, request.params.analysisId, request.body))

  fastify.delete('/analyses/:analysisId', {
    config: { role: 'reviewer' },
    schema: { tags, summary: 'Delete a meta-analysis', params: AnalysisParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await deleteAnalysis(db, request.project.id, request.params.analysisId)
    return reply.status(204).send()
  })

  for (const plot of ['forest', 'funnel'] as const) {
    for (const format of Object.keys(PLOT_TYPES) as PlotFormat[]) {
      fastify.get(`/analyses/:analysisId/${plot}.${format}`, {
        schema: { tags, summary: `The ${plot} plot as ${format.toUpperCase()}`, params: AnalysisParams, response: { 200: FileResponse(PLOT_TYPES[format], `the ${plot} plot`) } }
      }, async (request, reply) => reply.type(PLOT_TYPES[format]).send(await analysisPlot(db, request.project.id, request.params.analysisId, plot, format)))
    }
  }
}

export default metaAnalysisRoutes
