import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProjectParams, pageWindow } from '../../../src/http/schemas/common.ts'
import { ArticleIds, ClusterListQuery, ClusterPage, SplitBody } from '../../../src/http/schemas/duplicates.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { listClusters } from '../../../src/services/dedup.ts'
import { judgeDuplicates, queueDeduplication, splitDuplicate } from '../../../src/services/project-tasks.ts'

const duplicatesRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/duplicates', {
    schema: {
      tags: ['deduplication'], summary: 'Duplicate clusters: the primary record first, then the records linked to it', params: ProjectParams,
      querystring: ClusterListQuery, response: { 200: ClusterPage }
    }
  }, async (request) => {
    const { limit, offset } = pageWindow(request.query)
    return { ...await listClusters(fastify.db, request.project.id, limit, offset), page: request.query.page, pageSize: limit }
  })

  fastify.post('/duplicates/run', {
    config: { role: 'reviewer' },
    schema: { tags: ['deduplication'], summary: 'Run deduplication now (background task)', params: ProjectParams, response: { 202: Task } }
  }, async (request, reply) => reply.status(202).send(await queueDeduplication(fastify, request.project.id, request.user.id)))

  const judgementRoutes = [
    { path: 'confirm', judgement: 'duplicate', summary: 'Confirm that these records are one study (kept together by every later run)' },
    { path: 'not-duplicates', judgement: 'not_duplicate', summary: 'Mark records as distinct studies (never merged again, not even through other links)' }
  ] as const
  for (const { path, judgement, summary } of judgementRoutes) {
    fastify.post(`/duplicates/${path}`, {
      config: { role: 'reviewer' },
      schema: { tags: ['deduplication'], summary, params: ProjectParams, body: ArticleIds, response: { 202: Task } }
    }, async (request, reply) => reply.status(202).send(await judgeDuplicates(fastify, request.project.id, request.user.id, request.body.articleIds, judgement)))
  }

  fastify.post('/duplicates/split', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['deduplication'], summary: 'Take a record out of its cluster (marked distinct from every other member)', params: ProjectParams,
      body: SplitBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await splitDuplicate(fastify, request.project.id, request.user.id, request.body.articleId)))
}

export default duplicatesRoutes
