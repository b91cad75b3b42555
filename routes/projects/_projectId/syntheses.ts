import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { SynthesisDraft, SynthesisDraftParams, SynthesisDraftSummary, SynthesisRequest } from '../../../src/http/schemas/synthesis.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { getSynthesisDraft, listSynthesisDrafts, queueSynthesis } from '../../../src/services/synthesis.ts'

/** Grounded LLM synthesis drafts: generation (background task), versions, and each draft with its citation check. */
const synthesisRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const tags = ['synthesis']

  fastify.post('/syntheses', {
    config: { role: 'reviewer' },
    schema: {
      tags, summary: 'Generate a narrative synthesis and a discussion draft of the included studies with a local LLM (background task "llm-synthesis")',
      description: 'Each generation is stored as a new version; earlier versions are kept. Refused (400) when the project has no included study or the model is not installed.',
      params: ProjectParams, body: SynthesisRequest, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueSynthesis(fastify, request.project.id, request.user.id, request.body)))

  fastify.get('/syntheses', {
    schema: { tags, summary: 'The project\'s synthesis drafts, newest version first, with their flag counts', params: ProjectParams, response: { 200: Type.Array(SynthesisDraftSummary) } }
  }, async (request) => listSynthesisDrafts(db, request.project.id))

  fastify.get('/syntheses/:draftId', {
    schema: {
      tags, summary: 'A synthesis draft: sections with every sentence\'s citation check, the citation key → article map, provenance and the exact input',
      params: SynthesisDraftParams, response: { 200: SynthesisDraft }
    }
  }, async (request) => getSynthesisDraft(db, request.project.id, request.params.draftId))
}

export default synthesisRoutes
