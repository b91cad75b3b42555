import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { and, eq, inArray, or } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { ProjectParams, Task, Uuid } from '../../src/http/schemas.ts'
import { Conflict, NotFound } from '../../src/errors.ts'
import { judgePairs, listClusters } from '../../src/services/dedup.ts'
import { requireProject } from '../../src/services/projects.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const ArticleIds = Type.Object({ articleIds: Type.Array(Uuid, { minItems: 2, maxItems: 100, uniqueItems: true }) }, { additionalProperties: false })

const duplicatesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  async function queueRun(projectId: string, userId: string) {
    return toTaskView(await fastify.tasks.submit({ type: 'deduplicate', projectId, createdBy: userId, payload: {} }))
  }

  async function requireArticles(projectId: string, ids: string[]) {
    const found = await db.select({ id: articles.id, duplicateOf: articles.duplicateOf }).from(articles)
      .where(and(eq(articles.projectId, projectId), inArray(articles.id, ids)))
    if (found.length !== ids.length) {
      const missing = ids.filter((id) => !found.some((f) => f.id === id))
      throw new NotFound(`article(s) not found in this project: ${missing.join(', ')}`, 'articleIds')
    }
    return found
  }

  const pairsOf = (ids: string[]) => ids.flatMap((a, i) => ids.slice(i + 1).map((b) => [a, b] as [string, string]))

  fastify.get('/:projectId/duplicates', {
    schema: {
      tags: ['deduplication'], summary: 'Duplicate clusters: the primary record first, then the records linked to it', params: ProjectParams,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }), offset: Type.Integer({ minimum: 0, default: 0 }) }, { additionalProperties: false })
    }
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    return listClusters(db, request.params.projectId, request.query.limit, request.query.offset)
  })

  fastify.post('/:projectId/duplicates/run', {
    schema: { tags: ['deduplication'], summary: 'Run deduplication now (background task)', params: ProjectParams, response: { 202: Task } }
  }, async (request, reply) => {
    await requireProject(db, request.user, request.params.projectId, 'reviewer')
    return reply.status(202).send(await queueRun(request.params.projectId, request.user.id))
  })

  const judgementRoutes = [
    { path: 'confirm', judgement: 'duplicate', summary: 'Confirm that these records are one study (kept together by every later run)' },
    { path: 'not-duplicates', judgement: 'not_duplicate', summary: 'Mark records as distinct studies (never merged again, not even through other links)' }
  ] as const
  for (const { path, judgement, summary } of judgementRoutes) {
    fastify.post(`/:projectId/duplicates/${path}`, {
      schema: { tags: ['deduplication'], summary, params: ProjectParams, body: ArticleIds, response: { 202: Task } }
    }, async (request, reply) => {
      const { projectId } = request.params
      await requireProject(db, request.user, projectId, 'reviewer')
      await requireArticles(projectId, request.body.articleIds)
      await judgePairs(db, projectId, pairsOf(request.body.articleIds), judgement, request.user.id)
      return reply.status(202).send(await queueRun(projectId, request.user.id))
    })
  }

  fastify.post('/:projectId/duplicates/split', {
    schema: {
      tags: ['deduplication'], summary: 'Take a record out of its cluster (marked distinct from every other member)', params: ProjectParams,
      body: Type.Object({ articleId: Uuid }, { additionalProperties: false }), response: { 202: Task }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    await requireProject(db, request.user, projectId, 'reviewer')
    const [article] = await requireArticles(projectId, [request.body.articleId])
    const primaryId = article.duplicateOf ?? article.id
    const cluster = await db.select({ id: articles.id }).from(articles)
      .where(and(eq(articles.projectId, projectId), or(eq(articles.id, primaryId), eq(articles.duplicateOf, primaryId))))
    const others = cluster.map((c) => c.id).filter((id) => id !== article.id)
    if (others.length === 0) throw new Conflict('this record is not in a duplicate cluster', 'articleId')
    await judgePairs(db, projectId, others.map((id) => [article.id, id] as [string, string]), 'not_duplicate', request.user.id)
    return reply.status(202).send(await queueRun(projectId, request.user.id))
  })
}

export default duplicatesRoutes
