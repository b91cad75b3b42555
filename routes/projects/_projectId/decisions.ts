import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { projectCaller } from '../../../src/http/project-scope.ts'
import { ArticleParams, ProjectParams, pageWindow } from '../../../src/http/schemas/common.ts'
import { Decision, DecisionBody, DecisionListQuery, Resolution } from '../../../src/http/schemas/screening.ts'
import { listDecisions, recordDecision, recordResolution } from '../../../src/services/screening-actions.ts'

const decisionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/articles/:articleId/decisions', {
    // The decision's insert checks the settings it was validated against (src/services/screening-actions.ts).
    config: { role: 'reviewer', projectRow: 'held' },
    schema: {
      tags: ['screening'], summary: 'Record your screening decision on an article (history is kept)',
      description: 'When the project has exclusion reasons, `reason` must be one of them (only with "exclude"; required for a full-text exclusion).',
      params: ArticleParams, body: DecisionBody, response: { 201: Decision }
    }
  }, async (request, reply) => reply.status(201).send(await recordDecision(fastify, projectCaller(request), request.params.articleId, request.body)))

  fastify.post('/articles/:articleId/resolution', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['screening'], summary: 'Resolve a conflict (owners and designated resolvers): a decision of source "resolution"; nothing is overwritten',
      params: ArticleParams, body: DecisionBody, response: { 201: Resolution }
    }
  }, async (request, reply) => reply.status(201).send(await recordResolution(fastify, projectCaller(request), request.params.articleId, request.body)))

  fastify.get('/decisions', {
    schema: {
      tags: ['screening'], summary: 'List decisions, newest first (in blind mode reviewers see others\' decisions only on settled records); the total in X-Total-Count', params: ProjectParams,
      querystring: DecisionListQuery, response: { 200: Type.Array(Decision) }
    }
  }, async (request, reply) => {
    const { page: _page, pageSize: _pageSize, limit: _limit, offset: _offset, ...filter } = request.query
    const { items, total } = await listDecisions(fastify.db, projectCaller(request), { ...filter, ...pageWindow(request.query) })
    return reply.header('x-total-count', total).send(items)
  })
}

export default decisionsRoutes
