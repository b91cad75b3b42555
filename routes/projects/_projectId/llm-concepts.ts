import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { LlmConceptRequest, LlmConceptRun } from '../../../src/http/schemas/llm-concepts.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { latestConceptRun, queueLlmConcepts } from '../../../src/services/llm-concepts.ts'

/** LLM concepts of the included studies (background task "llm-concepts"), which the concept graph adds with ?llm=true. */
const llmConceptRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const tags = ['statistics']

  fastify.post('/concepts/llm', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Ask a local LLM for the key concepts of each included study, each with a quote checked against the study\'s text (background task "llm-concepts")',
      description: 'Refused (400) when the project has no included study or the model is not installed. The concept graph uses the latest run.',
      params: ProjectParams, body: LlmConceptRequest, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueLlmConcepts(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/concepts/llm', {
    schema: {
      tags, summary: 'The latest LLM concept run: provenance, each study\'s concepts with their quotes (flagged when quoted from nowhere in the study), failures',
      params: ProjectParams, response: { 200: LlmConceptRun }
    }
  }, async (request) => latestConceptRun(fastify.db, request.project.id))
}

export default llmConceptRoutes
