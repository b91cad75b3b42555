import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { projectCaller } from '../../../src/http/project-scope.ts'
import { ArticleParams, FileResponse, NoContent, ProjectParams } from '../../../src/http/schemas/common.ts'
import {
  ArticleExtractions, Comparison, Consensus, ConsensusBody, Extraction, ExtractionAgreement, ExtractionBody, ExtractionExportQuery,
  ExtractionQuery, Grid, GridCreateBody, GridParams, GridQuery, GridSummary, GridUpdateBody, GridVersion, GridVersionQuery, HistoryEntry
} from '../../../src/http/schemas/extraction.ts'
import {
  articleExtractions, compareExtractions, createGrid, deleteGrid, exportExtractionTable, extractionAgreement, extractionHistoryOf,
  getGrid, listGrids, listGridVersions, myExtraction, recordConsensus, saveExtraction, updateGrid
} from '../../../src/services/extraction.ts'

const tags = ['extraction']

const extractionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/grids', {
    schema: { tags, summary: 'List the project\'s extraction grids', params: ProjectParams, response: { 200: Type.Array(GridSummary) } }
  }, async (request) => listGrids(fastify.db, request.project.id))

  fastify.post('/grids', {
    config: { role: 'owner' },
    schema: {
      tags, summary: 'Create or import a grid: a definition (rich or simple format) or a seeded template by key',
      params: ProjectParams, body: GridCreateBody, response: { 201: Grid }
    }
  }, async (request, reply) => reply.status(201).send(await createGrid(fastify.db, projectCaller(request), request.body)))

  fastify.get('/grids/:gridId', {
    schema: { tags, summary: 'A grid (its current version, or ?version=n)', params: GridParams, querystring: GridVersionQuery, response: { 200: Grid } }
  }, async (request) => getGrid(fastify.db, request.project.id, request.params.gridId, request.query.version))

  fastify.put('/grids/:gridId', {
    config: { role: 'owner' },
    schema: {
      tags, summary: 'Replace a grid\'s definition: a new version when extractions use the current one, in place otherwise',
      params: GridParams, body: GridUpdateBody, response: { 200: Grid }
    }
  }, async (request) => updateGrid(fastify.db, projectCaller(request), request.params.gridId, request.body.definition))

  fastify.delete('/grids/:gridId', {
    config: { role: 'owner' },
    schema: { tags, summary: 'Delete a grid no extraction uses (409 otherwise)', params: GridParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    await deleteGrid(fastify.db, request.project.id, request.params.gridId)
    return reply.status(204).send()
  })

  fastify.get('/grids/:gridId/versions', {
    schema: { tags, summary: 'The versions of a grid, with how many extractions use each', params: GridParams, response: { 200: Type.Array(GridVersion) } }
  }, async (request) => listGridVersions(fastify.db, request.project.id, request.params.gridId))

  fastify.get('/grids/:gridId/export', {
    schema: {
      tags, summary: 'A grid as a JSON file in the rich format (importable with POST /grids)', params: GridParams, querystring: GridVersionQuery,
      response: { 200: FileResponse('application/json', 'the grid definition') }
    }
  }, async (request, reply) => {
    const grid = await getGrid(fastify.db, request.project.id, request.params.gridId, request.query.version)
    return reply.header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="grid-${grid.id}-v${grid.version}.json"`)
      .send(JSON.stringify(grid.definition, null, 2))
  })

  fastify.put('/articles/:articleId/extractions/mine', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Save your extraction of an article with a grid (draft or complete; every save is kept in the history)',
      params: ArticleParams, body: ExtractionBody, response: { 200: Extraction }
    }
  }, async (request) => saveExtraction(fastify.db, projectCaller(request), request.params.articleId, request.body))

  fastify.get('/articles/:articleId/extractions/mine', {
    schema: { tags, summary: 'Your extraction of an article with a grid', params: ArticleParams, querystring: GridQuery, response: { 200: Extraction } }
  }, async (request) => myExtraction(fastify.db, projectCaller(request), request.params.articleId, request.query.gridId))

  fastify.get('/articles/:articleId/extractions', {
    schema: {
      tags, summary: 'The extractions of an article you may see (blind: another reviewer\'s once both are complete; owners and resolvers see all) and its consensus',
      params: ArticleParams, querystring: ExtractionQuery, response: { 200: ArticleExtractions }
    }
  }, async (request) => articleExtractions(fastify.db, projectCaller(request), request.params.articleId, request.query.gridId))

  fastify.get('/articles/:articleId/extractions/history', {
    schema: { tags, summary: 'Every saved state of the article\'s extractions you may see and of its consensus, newest first', params: ArticleParams, querystring: ExtractionQuery, response: { 200: Type.Array(HistoryEntry) } }
  }, async (request) => extractionHistoryOf(fastify.db, projectCaller(request), request.params.articleId, request.query.gridId))

  fastify.get('/articles/:articleId/extractions/comparison', {
    schema: {
      tags, summary: 'Field-by-field comparison of the complete extractions of an article, with conflicts (after completing your own, or as owner/resolver)',
      params: ArticleParams, querystring: GridQuery, response: { 200: Comparison }
    }
  }, async (request) => compareExtractions(fastify.db, projectCaller(request), request.params.articleId, request.query.gridId))

  fastify.put('/articles/:articleId/extractions/consensus', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Record the consensus values of an article (owners and designated resolvers); previous ones stay in the history',
      params: ArticleParams, body: ConsensusBody, response: { 200: Consensus }
    }
  }, async (request) => recordConsensus(fastify.db, projectCaller(request), request.params.articleId, request.body))

  fastify.get('/extractions/agreement', {
    schema: {
      tags, summary: 'Agreement per field of a grid: percent agreement, and Cohen\'s kappa per pair of reviewers for boolean and single-choice fields',
      params: ProjectParams, querystring: GridQuery, response: { 200: ExtractionAgreement }
    }
  }, async (request) => extractionAgreement(fastify.db, request.project.id, request.query.gridId))

  fastify.get('/extractions/export', {
    schema: {
      tags, summary: 'The extraction table (one row per article, one column per field) as CSV or XLSX: consensus, reviewers\' or models\' values',
      description: 'A `rows` field gives one column per column (`outcomes.arm`), its rows\' values separated by " | "; multiple choices are separated by "; "; "NR" marks a value not reported. CSV cells a spreadsheet would run as formulas start with a single quote.',
      params: ProjectParams, querystring: ExtractionExportQuery, response: { 200: FileResponse('application/octet-stream', 'the table (CSV or XLSX)') }
    }
  }, async (request, reply) => {
    const file = await exportExtractionTable(fastify.db, projectCaller(request), request.query)
    return reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`).send(file.body)
  })
}

export default extractionRoutes
