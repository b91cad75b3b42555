import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Forbidden, NotFound } from '../src/errors.ts'
import { NoContent } from '../src/http/schemas/common.ts'
import { Prompt, PromptBody, PromptParams as IdParams, PromptPatch, PromptQuery } from '../src/http/schemas/llm.ts'
import { createPrompt, deletePrompt, getPrompt, listPrompts, toPromptView, updatePrompt } from '../src/services/screening-profiles.ts'

/**
 * Prompt templates (`/api/prompts`): everyone reads; administrators create,
 * edit and delete custom templates. Seeded defaults are read-only (409).
 */
const promptsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify
  const requireAdmin = (isAdmin: boolean) => {
    if (!isAdmin) throw new Forbidden('only administrators change shared settings (profiles, prompt templates, models)')
  }

  fastify.get('/prompts', {
    schema: {
      tags: ['llm'], summary: 'Prompt templates', querystring: PromptQuery,
      response: { 200: Type.Array(Prompt) }
    }
  }, async (request) => listPrompts(db, request.query.kind))

  fastify.get('/prompts/:id', { schema: { tags: ['llm'], params: IdParams, response: { 200: Prompt } } }, async (request) => {
    const row = await getPrompt(db, request.params.id)
    if (!row) throw new NotFound('prompt template not found')
    return toPromptView(row)
  })

  fastify.post('/prompts', {
    schema: {
      tags: ['llm'], summary: 'Create a template (administrators). Screening: {{question}} {{criteria}} {{title}} {{abstract}}; extraction: {{question}} {{fields}} {{title}} {{abstract}} {{text}}',
      body: PromptBody,
      response: { 201: Prompt }
    }
  }, async (request, reply) => {
    requireAdmin(request.user.isAdmin)
    return reply.status(201).send(await createPrompt(db, request.body))
  })

  fastify.patch('/prompts/:id', {
    schema: {
      tags: ['llm'], summary: 'Change a custom template (administrators; defaults answer 409)', params: IdParams,
      body: PromptPatch,
      response: { 200: Prompt }
    }
  }, async (request) => {
    requireAdmin(request.user.isAdmin)
    return updatePrompt(db, request.params.id, request.body)
  })

  fastify.delete('/prompts/:id', {
    schema: { tags: ['llm'], summary: 'Delete a custom template (administrators; defaults answer 409)', params: IdParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    requireAdmin(request.user.isAdmin)
    await deletePrompt(db, request.params.id)
    return reply.status(204).send()
  })
}

export default promptsRoutes
