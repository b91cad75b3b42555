import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { DecisionValue, ProjectParams, Stage, Uuid } from '../../src/http/schemas.ts'
import { requireProject } from '../../src/services/projects.ts'
import { listVisibleDecisions, recordHumanDecision, resolveConflict, toDecisionView } from '../../src/services/screening.ts'
import { queueTraining } from '../../src/services/screening-model.ts'
import { readScreeningSettings, type Stage as StageT } from '../../src/services/screening-settings.ts'

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()])

const Decision = Type.Object({
  id: Type.String(), articleId: Type.String(), reviewerId: Nullable(Type.String()), reviewerEmail: Nullable(Type.String()),
  reviewerName: Nullable(Type.String()), reviewerKind: Nullable(Type.String()), stage: Type.String(), decision: Type.String(),
  reason: Nullable(Type.String()), note: Nullable(Type.String()), source: Type.String(), tags: Type.Array(Type.String()),
  probability: Nullable(Type.Number()), justification: Nullable(Type.String()), model: Nullable(Type.String()),
  origin: Type.Union([Type.Object({
    file: Type.Optional(Type.String()), source: Type.Optional(Type.String()), at: Type.Optional(Type.String()),
    reviewer: Type.Optional(Type.Object({ email: Type.Optional(Type.String()), name: Type.Optional(Type.String()), kind: Type.Optional(Type.String()) }))
  }, { description: 'imported labels: the file, and the original reviewer, source and date' }), Type.Null()]),
  createdAt: Type.String()
})

const DecisionBody = Type.Object({
  decision: DecisionValue,
  stage: Type.Optional(Stage),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  note: Type.Optional(Type.String({ maxLength: 10000 })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 }))
}, { additionalProperties: false })

const ArticleParams = Type.Object({ projectId: Uuid, articleId: Uuid })

/** Retraining follows every decision in the background; a failure to queue it never fails the decision. */
async function retrainLater(fastify: FastifyInstance, projectId: string, stage: StageT, userId: string): Promise<void> {
  try {
    await queueTraining(fastify, projectId, stage, userId)
  } catch (err) {
    fastify.log.warn({ err, projectId, stage }, 'could not queue the screening model retraining')
  }
}

const decisionsRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.post('/:projectId/articles/:articleId/decisions', {
    schema: {
      tags: ['screening'], summary: 'Record your screening decision on an article (history is kept)',
      description: 'When the project has exclusion reasons, `reason` must be one of them (only with "exclude"; required for a full-text exclusion).',
      params: ArticleParams, body: DecisionBody, response: { 201: Decision }
    }
  }, async (request, reply) => {
    const { projectId, articleId } = request.params
    const { project } = await requireProject(db, request.user, projectId, 'reviewer')
    const settings = readScreeningSettings(project.screeningSettings)
    const stage = request.body.stage ?? 'title_abstract'
    const row = await recordHumanDecision(db, projectId, settings, request.user.id, { ...request.body, articleId, stage })
    await retrainLater(fastify, projectId, stage, request.user.id)
    return reply.status(201).send(toDecisionView(row, { email: request.user.email, name: request.user.name, kind: 'human' }))
  })

  fastify.post('/:projectId/articles/:articleId/resolution', {
    schema: {
      tags: ['screening'], summary: 'Resolve a conflict (owners and designated resolvers): a decision of source "resolution"; nothing is overwritten',
      params: ArticleParams, body: DecisionBody,
      response: { 201: Type.Object({ decision: Decision, previousStatus: Type.String() }) }
    }
  }, async (request, reply) => {
    const { projectId, articleId } = request.params
    const { project, role } = await requireProject(db, request.user, projectId, 'reviewer')
    const settings = readScreeningSettings(project.screeningSettings)
    const stage = request.body.stage ?? 'title_abstract'
    const { decision, previousStatus } = await resolveConflict(db, projectId, settings, { userId: request.user.id, role }, { ...request.body, articleId, stage })
    await retrainLater(fastify, projectId, stage, request.user.id)
    return reply.status(201).send({ decision: toDecisionView(decision, { email: request.user.email, name: request.user.name, kind: 'human' }), previousStatus })
  })

  fastify.get('/:projectId/decisions', {
    schema: {
      tags: ['screening'], summary: 'List decisions, newest first (in blind mode reviewers see others\' decisions only on settled records)', params: ProjectParams,
      querystring: Type.Object({
        stage: Type.Optional(Stage), articleId: Type.Optional(Uuid), reviewerId: Type.Optional(Uuid),
        source: Type.Optional(Type.Union([Type.Literal('human'), Type.Literal('import'), Type.Literal('llm'), Type.Literal('resolution')])),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), offset: Type.Integer({ minimum: 0, default: 0 })
      }, { additionalProperties: false }),
      response: { 200: Type.Array(Decision) }
    }
  }, async (request) => {
    const { project, role } = await requireProject(db, request.user, request.params.projectId)
    const settings = readScreeningSettings(project.screeningSettings)
    return listVisibleDecisions(db, request.params.projectId, settings, { userId: request.user.id, role }, request.query)
  })
}

export default decisionsRoutes
