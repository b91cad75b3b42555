import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Forbidden, NotFound, UpstreamFailed } from '../src/errors.ts'
import { NoContent } from '../src/http/schemas/common.ts'
import { InstalledModel, Profile, ProfileBody, ProfileParams as IdParams, ProfilePatch, PullBody } from '../src/http/schemas/llm.ts'
import { Task } from '../src/http/schemas/tasks.ts'
import { createOllamaClientFromConfig, OllamaError } from '../src/llm/ollama.ts'
import { createProfile, deleteProfile, getProfile, listProfiles, toProfileView, updateProfile } from '../src/services/screening-profiles.ts'
import { toTaskView } from '../src/tasks/store.ts'

function requireAdmin(request: FastifyRequest): void {
  if (!request.user.isAdmin) throw new Forbidden('only administrators change shared settings (profiles, prompt templates, models)')
}

/**
 * Analysis profiles (`/api/profiles`) and the local LLM server's models
 * (`/api/llm/models`). Everyone reads; administrators write.
 */
const profilesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.get('/profiles', { schema: { tags: ['llm'], summary: 'Analysis profiles (defaults first)', response: { 200: Type.Array(Profile) } } },
    async () => listProfiles(db))

  fastify.get('/profiles/:id', { schema: { tags: ['llm'], params: IdParams, response: { 200: Profile } } }, async (request) => {
    const row = await getProfile(db, request.params.id)
    if (!row) throw new NotFound('profile not found')
    return toProfileView(row)
  })

  fastify.post('/profiles', {
    schema: {
      tags: ['llm'], summary: 'Create a custom profile (administrators); the id is derived from the name when not given',
      body: ProfileBody,
      response: { 201: Profile }
    }
  }, async (request, reply) => {
    requireAdmin(request)
    return reply.status(201).send(await createProfile(db, request.body))
  })

  fastify.patch('/profiles/:id', {
    schema: {
      tags: ['llm'], summary: 'Change a profile (administrators; default profiles too, to point them at installed models)', params: IdParams,
      body: ProfilePatch, response: { 200: Profile }
    }
  }, async (request) => {
    requireAdmin(request)
    return updateProfile(db, request.params.id, request.body)
  })

  fastify.delete('/profiles/:id', {
    schema: { tags: ['llm'], summary: 'Delete a custom profile (administrators; default profiles answer 409)', params: IdParams, response: { 204: NoContent } }
  }, async (request, reply) => {
    requireAdmin(request)
    await deleteProfile(db, request.params.id)
    return reply.status(204).send()
  })

  fastify.get('/llm/models', {
    schema: { tags: ['llm'], summary: 'Models installed on the Ollama server (OLLAMA_BASE_URL)', response: { 200: Type.Array(InstalledModel) } }
  }, async () => {
    try {
      const models = await createOllamaClientFromConfig(fastify.config, { retries: 0, timeoutMs: 10_000 }).listModels()
      return models.map((m) => ({ name: m.name, size: m.size ?? null, modifiedAt: m.modifiedAt ?? null, family: m.details?.family ?? null, parameterSize: m.details?.parameterSize ?? null }))
    } catch (error) {
      if (error instanceof OllamaError) throw new UpstreamFailed(`the Ollama server at ${fastify.config.OLLAMA_BASE_URL} did not answer: ${error.message}`)
      throw error
    }
  })

  fastify.post('/llm/models/pull', {
    schema: {
      tags: ['llm'], summary: 'Download a model into the Ollama server (administrators; background task with progress)',
      body: PullBody, response: { 202: Task }
    }
  }, async (request, reply) => {
    requireAdmin(request)
    const task = await fastify.tasks.submit({ type: 'llm-pull', projectId: null, createdBy: request.user.id, payload: { model: request.body.model } })
    return reply.status(202).send(toTaskView(task))
  })
}

export default profilesRoutes
