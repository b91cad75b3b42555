import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ProjectParams, Task } from '../../src/http/schemas.ts'
import { MAX_IDENTIFIERS, parseIdentifierLists } from '../../src/services/identifiers.ts'
import { requireProject } from '../../src/services/projects.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const Ids = (description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: MAX_IDENTIFIERS, description }))

const IdentifiersBody = Type.Object({
  pmids: Ids('PubMed ids ("12345678", "PMID: 12345678")'),
  dois: Ids('DOIs ("10.1000/xyz", "https://doi.org/10.1000/xyz")'),
  pmcids: Ids('PubMed Central ids ("PMC1234567")'),
  arxivIds: Ids('arXiv ids ("2101.00001", "arXiv:2101.00001v2", "hep-th/9901001")')
}, { additionalProperties: false })

/** `POST /api/projects/:projectId/identifiers`: add records by identifier (task 'identifiers'). */
const identifiersRoutes: FastifyPluginAsyncTypebox = async (fastify) => {

  fastify.post('/:projectId/identifiers', {
    schema: {
      tags: ['search'], summary: 'Add records by PMID, DOI, PMCID or arXiv id (background task "identifiers")',
      description: 'PMIDs and PMCIDs are resolved by PubMed, DOIs by Crossref (then OpenAlex), arXiv ids by arXiv. Unknown identifiers are reported in the task result.',
      params: ProjectParams, body: IdentifiersBody, response: { 202: Task }
    }
  }, async (request, reply) => {
    await requireProject(fastify.db, request.user, request.params.projectId, 'reviewer')
    const payload = parseIdentifierLists(request.body)
    const task = await fastify.tasks.submit({ type: 'identifiers', projectId: request.params.projectId, createdBy: request.user.id, payload })
    return reply.status(202).send(toTaskView(task))
  })
}

export default identifiersRoutes
