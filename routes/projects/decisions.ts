import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DecisionValue, ProjectParams, Stage, Uuid } from '../../src/http/schemas.ts'
import { getArticle } from '../../src/services/articles.ts'
import { listDecisions, recordDecision, toDecisionView } from '../../src/services/decisions.ts'
import { requireProject } from '../../src/services/projects.ts'
import { HttpError } from '../../src/http-errors.ts'

const Decision = Type.Object({
  id: Type.String(), articleId: Type.String(), reviewerId: Type.Union([Type.String(), Type.Null()]),
  reviewerEmail: Type.Union([Type.String(), Type.Null()]), stage: Type.String(), decision: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]), note: Type.Union([Type.String(), Type.Null()]), source: Type.String(), createdAt: Type.String()
})

const decisionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.post('/:projectId/articles/:articleId/decisions', {
    schema: {
      tags: ['screening'], summary: 'Record your screening decision on an article (history is kept)',
      params: Type.Object({ projectId: Uuid, articleId: Uuid }),
      body: Type.Object({
        decision: DecisionValue,
        stage: Type.Optional(Stage),
        reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
        note: Type.Optional(Type.String({ maxLength: 10000 }))
      }, { additionalProperties: false }),
      response: { 201: Decision }
    }
  }, async (request, reply) => {
    const { projectId, articleId } = request.params
    await requireProject(db, request.user, projectId, 'reviewer')
    if (!await getArticle(db, projectId, articleId)) throw new HttpError(404, 'article not found')
    const row = await recordDecision(db, projectId, { articleId, reviewerId: request.user.id, stage: request.body.stage ?? 'title_abstract', ...request.body })
    return reply.status(201).send(toDecisionView(row, request.user.email))
  })

  fastify.get('/:projectId/decisions', {
    schema: {
      tags: ['screening'], summary: 'List decisions, newest first', params: ProjectParams,
      querystring: Type.Object({
        stage: Type.Optional(Stage), articleId: Type.Optional(Uuid), reviewerId: Type.Optional(Uuid),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), offset: Type.Integer({ minimum: 0, default: 0 })
      }, { additionalProperties: false }),
      response: { 200: Type.Array(Decision) }
    }
  }, async (request) => {
    await requireProject(db, request.user, request.params.projectId)
    return listDecisions(db, request.params.projectId, request.query)
  })
}

export default decisionsRoutes
