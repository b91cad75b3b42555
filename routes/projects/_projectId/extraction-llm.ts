import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { projectCaller } from '../../../src/http/project-scope.ts'
import { ArticleParams, ProjectParams } from '../../../src/http/schemas/common.ts'
import { Extraction } from '../../../src/http/schemas/extraction.ts'
import { AcceptLlmBody, LlmExtractionBody, LlmExtractionRun, LlmExtractionRunDetail, LlmRunParams } from '../../../src/http/schemas/extraction-llm.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { acceptLlmValues, getLlmExtractionRun, listLlmExtractionRuns, queueLlmExtraction } from '../../../src/services/extraction-llm.ts'

const tags = ['extraction']

const llmExtractionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/extraction/llm-runs', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Extract articles into a grid with a local LLM (background): its values are stored under its own reviewer account',
      description: 'Give a profile (its extractModel) or a model name; the model must be installed on the Ollama server. The grid\'s current version is pinned. By default the run extracts the records included at full-text screening that have an extracted full text and that this model has not extracted with the grid yet.',
      params: ProjectParams, body: LlmExtractionBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueLlmExtraction(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/extraction/llm-runs', {
    schema: { tags, summary: 'The project\'s LLM extraction runs, newest first (at most 200)', params: ProjectParams, response: { 200: Type.Array(LlmExtractionRun) } }
  }, async (request) => listLlmExtractionRuns(fastify.db, request.project.id))

  fastify.get('/extraction/llm-runs/:taskId', {
    schema: {
      tags, summary: 'An LLM extraction run: its provenance (model, digest, prompt version, options, grid version) and its outcome per article',
      params: LlmRunParams, response: { 200: LlmExtractionRunDetail }
    }
  }, async (request) => getLlmExtractionRun(fastify.db, request.project.id, request.params.taskId))

  fastify.post('/articles/:articleId/extractions/mine/accept-llm', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Copy a model\'s values of the article (some fields, or all its valid ones) into your own extraction, with their quotes and pages',
      description: 'Your extraction keeps its status (a new one is a draft) and the history keeps the save. The model\'s extraction must be one you may see (extraction is blind).',
      params: ArticleParams, body: AcceptLlmBody, response: { 200: Extraction }
    }
  }, async (request) => acceptLlmValues(fastify.db, projectCaller(request), request.params.articleId, request.body))
}

export default llmExtractionRoutes
