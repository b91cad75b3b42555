import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { and, eq, inArray } from 'drizzle-orm'
import type { AuthUser } from '../../src/auth/users.ts'
import { articles, sourceBatches } from '../../src/db/schema.ts'
import { ProjectParams, Stage, Task, Uuid } from '../../src/http/schemas.ts'
import { HttpError } from '../../src/http-errors.ts'
import { SIMULATION_TASK } from '../../src/jobs/simulation.ts'
import { agreementCsv, stageAgreement } from '../../src/services/agreement.ts'
import { requireProject } from '../../src/services/projects.ts'
import { listConflicts, listScreeningRecords } from '../../src/services/screening.ts'
import { LLM_SCREENING_TASK, type LlmScreeningPayload } from '../../src/services/screening-llm.ts'
import { nextRecord, queueTraining, screeningStats } from '../../src/services/screening-model.ts'
import { getProfile, getPrompt } from '../../src/services/screening-profiles.ts'
import { isPrivileged, readScreeningSettings, updateScreeningSettings } from '../../src/services/screening-settings.ts'
import { toTaskView } from '../../src/tasks/store.ts'

const Settings = Type.Object({
  reviewersPerRecord: Type.Union([Type.Literal(1), Type.Literal(2)]),
  blind: Type.Boolean(),
  exclusionReasons: Type.Array(Type.String()),
  resolverIds: Type.Array(Type.String()),
  classifier: Type.Union([Type.Literal('nb'), Type.Literal('logistic'), Type.Literal('svm'), Type.Literal('ensemble')])
})

const SettingsPatch = Type.Object({
  reviewersPerRecord: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
  blind: Type.Optional(Type.Boolean()),
  exclusionReasons: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
  resolverIds: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
  classifier: Type.Optional(Type.Union([Type.Literal('nb'), Type.Literal('logistic'), Type.Literal('svm'), Type.Literal('ensemble')]))
}, { additionalProperties: false, minProperties: 1 })

const StageQuery = Type.Object({ stage: Type.Optional(Stage) }, { additionalProperties: false })

const screeningRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  async function loadProject(projectId: string, user: AuthUser, minimum: 'viewer' | 'reviewer' | 'owner' = 'viewer') {
    const { project, role } = await requireProject(db, user, projectId, minimum)
    return { project, role, settings: readScreeningSettings(project.screeningSettings) }
  }

  fastify.get('/:projectId/screening-settings', {
    schema: { tags: ['screening'], summary: 'The project\'s screening settings', params: ProjectParams, response: { 200: Settings } }
  }, async (request) => (await loadProject(request.params.projectId, request.user)).settings)

  fastify.patch('/:projectId/screening-settings', {
    schema: {
      tags: ['screening'], summary: 'Change the screening settings (owners)', params: ProjectParams, body: SettingsPatch, response: { 200: Settings }
    }
  }, async (request) => {
    const { settings: before } = await loadProject(request.params.projectId, request.user, 'owner')
    const after = await updateScreeningSettings(db, request.params.projectId, request.body)
    if (after.classifier !== before.classifier) await queueTraining(fastify, request.params.projectId, 'title_abstract', request.user.id)
    return after
  })

  fastify.get('/:projectId/screening/records', {
    schema: {
      tags: ['screening'], summary: 'Records of a stage with their status and the current decisions you may see',
      description: 'Status: awaiting, conflict, included, excluded, maybe. In blind mode reviewers (not owners or resolvers) see "pending" for awaiting and conflict records, and only their own decisions on them.',
      params: ProjectParams,
      querystring: Type.Object({
        stage: Stage,
        status: Type.Optional(Type.Union([
          Type.Literal('awaiting'), Type.Literal('conflict'), Type.Literal('included'), Type.Literal('excluded'), Type.Literal('maybe'), Type.Literal('pending')
        ])),
        sort: Type.Union([Type.Literal('relevance'), Type.Literal('createdAt')], { default: 'relevance' }),
        page: Type.Integer({ minimum: 1, default: 1 }),
        pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 })
      }, { additionalProperties: false })
    }
  }, async (request) => {
    const { role, settings } = await loadProject(request.params.projectId, request.user)
    return listScreeningRecords(db, request.params.projectId, settings, { userId: request.user.id, role }, request.query)
  })

  fastify.get('/:projectId/screening/conflicts', {
    schema: {
      tags: ['screening'], summary: 'Records whose reviewers disagree, with their current decisions', params: ProjectParams,
      querystring: Type.Object({
        stage: Type.Optional(Stage),
        limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }), offset: Type.Integer({ minimum: 0, default: 0 })
      }, { additionalProperties: false })
    }
  }, async (request) => {
    const { role, settings } = await loadProject(request.params.projectId, request.user)
    const { stage = 'title_abstract', limit, offset } = request.query
    return listConflicts(db, request.params.projectId, settings, { userId: request.user.id, role }, stage, { limit, offset })
  })

  fastify.get('/:projectId/screening/agreement', {
    schema: {
      tags: ['screening'], summary: 'Inter-rater agreement: percent agreement and Cohen\'s kappa per pair of reviewers, Fleiss\' kappa beyond two',
      params: ProjectParams, querystring: StageQuery
    }
  }, async (request) => {
    await loadProject(request.params.projectId, request.user)
    return stageAgreement(db, request.params.projectId, request.query.stage ?? 'title_abstract')
  })

  fastify.get('/:projectId/screening/agreement.csv', {
    schema: {
      tags: ['screening'], summary: 'The paired decisions (one row per record rated by two or more reviewers, one column per reviewer) as CSV',
      params: ProjectParams, querystring: StageQuery
    }
  }, async (request, reply) => {
    const { role, settings } = await loadProject(request.params.projectId, request.user)
    if (settings.blind && !isPrivileged(settings, role, request.user.id)) {
      throw new HttpError(403, 'in blind mode only the project\'s owners and resolvers export individual decisions')
    }
    const stage = request.query.stage ?? 'title_abstract'
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="agreement-${stage}.csv"`)
      .send(await agreementCsv(db, request.params.projectId, stage))
  })

  fastify.get('/:projectId/screening/next', {
    schema: {
      tags: ['screening'], summary: 'The most relevant record you have not screened yet (seeded random order until the model can be trained)',
      params: ProjectParams,
      querystring: Type.Object({
        stage: Type.Optional(Stage),
        seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 1 })
      }, { additionalProperties: false })
    }
  }, async (request) => {
    const { role, settings } = await loadProject(request.params.projectId, request.user, 'reviewer')
    return nextRecord(db, request.params.projectId, settings, { userId: request.user.id, role }, request.query.stage ?? 'title_abstract', request.query.seed)
  })

  fastify.get('/:projectId/screening/stats', {
    schema: {
      tags: ['screening'], summary: 'Progress and stopping signals: records since the last include, estimated relevant records remaining',
      params: ProjectParams, querystring: StageQuery
    }
  }, async (request) => {
    const { settings } = await loadProject(request.params.projectId, request.user)
    return screeningStats(db, request.params.projectId, settings, request.query.stage ?? 'title_abstract')
  })

  fastify.post('/:projectId/screening/train', {
    schema: {
      tags: ['screening'], summary: 'Retrain the ranking model now (background; returns the waiting training if one is queued)',
      params: ProjectParams, body: Type.Optional(StageQuery), response: { 202: Task }
    }
  }, async (request, reply) => {
    await loadProject(request.params.projectId, request.user, 'reviewer')
    const { task } = await queueTraining(fastify, request.params.projectId, request.body?.stage ?? 'title_abstract', request.user.id)
    return reply.status(202).send(toTaskView(task))
  })

  fastify.post('/:projectId/screening/simulations', {
    schema: {
      tags: ['screening'], summary: 'Simulate active-learning screening on labelled records (WSS@95, RRF@10, ATD, recall curve)',
      description: 'Labels: "import" (labels brought by imports, e.g. an ASReview CSV\'s label_included; default) or "screening" (the project\'s title/abstract outcome). batchId restricts it to one import.',
      params: ProjectParams,
      body: Type.Object({
        batchId: Type.Optional(Uuid),
        labels: Type.Optional(Type.Union([Type.Literal('import'), Type.Literal('screening')])),
        seeds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
        classifier: Type.Optional(Type.Union([Type.Literal('nb'), Type.Literal('logistic'), Type.Literal('svm'), Type.Literal('ensemble')])),
        retrainEvery: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 }))
      }, { additionalProperties: false }),
      response: { 202: Task }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    await loadProject(projectId, request.user, 'reviewer')
    if (request.body.batchId) {
      const [batch] = await db.select({ id: sourceBatches.id }).from(sourceBatches)
        .where(and(eq(sourceBatches.projectId, projectId), eq(sourceBatches.id, request.body.batchId)))
      if (!batch) throw new HttpError(404, 'no such import batch in this project', 'batchId')
    }
    const task = await fastify.tasks.submit({ type: SIMULATION_TASK, projectId, createdBy: request.user.id, payload: request.body })
    return reply.status(202).send(toTaskView(task))
  })

  fastify.post('/:projectId/screening/llm-runs', {
    schema: {
      tags: ['screening'], summary: 'Screen records with a local LLM (background): its decisions are recorded under its own reviewer account',
      description: 'Give a profile (its screening model is the profile\'s preprocessModel) or a model name. By default the run screens every record of the stage that no human has decided and this model has not screened.',
      params: ProjectParams,
      body: Type.Object({
        profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' })),
        templateId: Type.Optional(Uuid),
        stage: Type.Optional(Stage),
        articleIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 10000, uniqueItems: true })),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 }))
      }, { additionalProperties: false }),
      response: { 202: Task }
    }
  }, async (request, reply) => {
    const { projectId } = request.params
    const body = request.body
    await loadProject(projectId, request.user, 'reviewer')
    if ((body.profileId === undefined) === (body.model === undefined)) throw new HttpError(400, 'give either profileId or model', body.model ? 'profileId' : 'model')
    let model = body.model
    if (body.profileId) {
      const profile = await getProfile(db, body.profileId)
      if (!profile) throw new HttpError(404, 'no such analysis profile', 'profileId')
      model = profile.preprocessModel
    }
    if (body.templateId) {
      const template = await getPrompt(db, body.templateId)
      if (!template) throw new HttpError(404, 'no such prompt template', 'templateId')
      if (template.kind !== 'screening') throw new HttpError(400, `prompt template "${template.name}" is a ${template.kind} template, not a screening one`, 'templateId')
    }
    if (body.articleIds) {
      const found = await db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, body.articleIds)))
      if (found.length !== body.articleIds.length) {
        const known = new Set(found.map((f) => f.id))
        throw new HttpError(404, `article(s) not found in this project: ${body.articleIds.filter((id) => !known.has(id)).slice(0, 10).join(', ')}`, 'articleIds')
      }
    }
    const payload: LlmScreeningPayload = {
      model: model as string, profileId: body.profileId, templateId: body.templateId, stage: body.stage ?? 'title_abstract',
      articleIds: body.articleIds, concurrency: body.concurrency
    }
    const task = await fastify.tasks.submit({ type: LLM_SCREENING_TASK, projectId, createdBy: request.user.id, payload })
    return reply.status(202).send(toTaskView(task))
  })
}

export default screeningRoutes
