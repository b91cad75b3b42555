import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { createReadStream } from 'node:fs'
import { and, eq, inArray } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { ProjectParams, Task, Uuid } from '../../src/http/schemas.ts'
import { Conflict, NotFound } from '../../src/errors.ts'
import { findFullText } from '../../src/services/fulltext.ts'
import { requireProject } from '../../src/services/projects.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const FullTextBody = Type.Object({
  articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 5000, uniqueItems: true, description: 'default: included records with a DOI and no full text yet' }))
}, { additionalProperties: false })

/**
 * `POST /api/projects/:projectId/fulltext`: fetch open-access PDFs through Unpaywall (task 'fulltext');
 * `GET /api/projects/:projectId/articles/:articleId/fulltext`: the stored PDF.
 */
const fulltextRoutes: FastifyPluginAsyncTypebox = async (fastify) => {

  fastify.post('/:projectId/fulltext', {
    schema: {
      tags: ['search'], summary: 'Download open-access PDFs found by Unpaywall (background task "fulltext")',
      description: 'Without articleIds: the records whose latest title/abstract decision is "include", with a DOI and no full text yet.',
      params: ProjectParams, body: FullTextBody, response: { 202: Task }
    },
    // No body at all means the default selection, as `{}` does.
    preValidation: async (request) => { request.body ??= {} }
  }, async (request, reply) => {
    const { projectId } = request.params
    await requireProject(fastify.db, request.user, projectId, 'reviewer')
    const unpaywall = fastify.connectors.list().find((d) => d.id === 'unpaywall')!
    if (!unpaywall.configured) throw new Conflict(`Unpaywall is not configured: set ${unpaywall.missing}`)
    const ids = request.body.articleIds
    if (ids) {
      const found = await fastify.db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, ids)))
      if (found.length !== ids.length) {
        const missing = ids.filter((id) => !found.some((f) => f.id === id))
        throw new NotFound(`article(s) not found in this project: ${missing.join(', ')}`, 'articleIds')
      }
    }
    const task = await fastify.tasks.submit({ type: 'fulltext', projectId, createdBy: request.user.id, payload: ids ? { articleIds: ids } : {} })
    return reply.status(202).send(toTaskView(task))
  })

  fastify.get('/:projectId/articles/:articleId/fulltext', {
    schema: { tags: ['search'], summary: 'The article\'s full text (PDF); 404 when it has none', params: Type.Object({ projectId: Uuid, articleId: Uuid }) }
  }, async (request, reply) => {
    const { projectId, articleId } = request.params
    await requireProject(fastify.db, request.user, projectId)
    const stored = await findFullText(fastify.db, fastify.storageDir, projectId, articleId)
    if (!stored) throw new NotFound('this article has no full text')
    const name = stored.originalName.replace(/[^\w.-]+/g, '_')
    return reply
      .type(stored.contentType)
      .header('content-length', stored.size)
      .header('content-disposition', `inline; filename="${name}"`)
      .send(createReadStream(stored.absolute))
  })
}

export default fulltextRoutes
