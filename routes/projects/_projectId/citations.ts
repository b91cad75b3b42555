import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { CitationsBody } from '../../../src/http/schemas/searches.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { queueCitations } from '../../../src/services/project-tasks.ts'

/** `POST /api/projects/:projectId/citations`: backward and forward citation chasing (task 'citations'). */
const citationsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/citations', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['search'], summary: 'Chase the references and citations of articles (background task "citations")',
      description: 'New records go into a source batch of kind "citations", counted apart from database searches.',
      params: ProjectParams, body: CitationsBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueCitations(fastify, request.project.id, request.user.id, request.body)))
}

export default citationsRoutes
