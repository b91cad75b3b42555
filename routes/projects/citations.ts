import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { and, eq, inArray } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { ProjectParams, Task, Uuid } from '../../src/http/schemas.ts'
import { NotFound } from '../../src/errors.ts'
import { requireProject } from '../../src/services/projects.ts'
import { CITATION_DATABASES } from '../../src/services/search.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const CitationsBody = Type.Object({
  articleIds: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true, description: 'seed articles of this project' }),
  direction: Type.Union([Type.Literal('backward'), Type.Literal('forward'), Type.Literal('both')], { description: 'backward: their references; forward: works citing them' }),
  database: Type.Union(CITATION_DATABASES.map((id) => Type.Literal(id))),
  maxRecordsPerArticle: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'per direction; default 1,000' }))
}, { additionalProperties: false })

/** `POST /api/projects/:projectId/citations`: backward and forward citation chasing (task 'citations'). */
const citationsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {

  fastify.post('/:projectId/citations', {
    schema: {
      tags: ['search'], summary: 'Chase the references and citations of articles (background task "citations")',
      description: 'New records go into a source batch of kind "citations", counted apart from database searches.',
      params: ProjectParams, body: CitationsBody, response: { 202: Task }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    await requireProject(fastify.db, request.user, projectId, 'reviewer')
    const ids = request.body.articleIds
    const found = await fastify.db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, ids)))
    if (found.length !== ids.length) {
      const missing = ids.filter((id) => !found.some((f) => f.id === id))
      throw new NotFound(`article(s) not found in this project: ${missing.join(', ')}`, 'articleIds')
    }
    const payload = { ...request.body, maxRecordsPerArticle: request.body.maxRecordsPerArticle ?? 1000 }
    const task = await fastify.tasks.submit({ type: 'citations', projectId, createdBy: request.user.id, payload })
    return reply.status(202).send(toTaskView(task))
  })
}

export default citationsRoutes
