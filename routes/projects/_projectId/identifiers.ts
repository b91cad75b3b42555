import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams } from '../../../src/http/schemas/common.ts'
import { IdentifiersBody } from '../../../src/http/schemas/searches.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { queueIdentifiers } from '../../../src/services/project-tasks.ts'

/** `POST /api/projects/:projectId/identifiers`: add records by identifier (task 'identifiers'). */
const identifiersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/identifiers', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['search'], summary: 'Add records by PMID, DOI, PMCID or arXiv id (background task "identifiers")',
      description: 'PMIDs and PMCIDs are resolved by PubMed, DOIs by Crossref (then OpenAlex), arXiv ids by arXiv. Unknown identifiers are reported in the task result.',
      params: ProjectParams, body: IdentifiersBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueIdentifiers(fastify, request.project.id, request.user.id, request.body)))
}

export default identifiersRoutes
