import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { projectCaller } from '../../../src/http/project-scope.ts'
import { FileResponse, ProjectParams, pageWindow } from '../../../src/http/schemas/common.ts'
import {
  Agreement, ConflictPage, ConflictQuery, LlmRunBody, NextQuery, NextRecord, ScreeningRecordPage, ScreeningRecordQuery,
  ScreeningSettings, ScreeningSettingsPatch, ScreeningStats, SimulationBody, StageQuery
} from '../../../src/http/schemas/screening.ts'
import { Task } from '../../../src/http/schemas/tasks.ts'
import { stageAgreement } from '../../../src/services/agreement.ts'
import { queueLlmRun, queueSimulation } from '../../../src/services/project-tasks.ts'
import { listConflicts, listScreeningRecords } from '../../../src/services/screening.ts'
import { changeScreeningSettings, exportAgreement } from '../../../src/services/screening-actions.ts'
import { nextRecord, queueTraining, screeningStats } from '../../../src/services/screening-model.ts'
import { readScreeningSettings } from '../../../src/services/screening-settings.ts'
import { toTaskView } from '../../../src/tasks/store.ts'
import type { FastifyRequest } from 'fastify'

/** The project's screening settings and the caller as the screening services take them. */
const viewer = (request: FastifyRequest) => ({
  settings: readScreeningSettings(request.project.screeningSettings), viewer: { userId: request.user.id, role: request.projectRole }
})

const screeningRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { db } = fastify

  fastify.get('/screening-settings', {
    schema: { tags: ['screening'], summary: 'The project\'s screening settings', params: ProjectParams, response: { 200: ScreeningSettings } }
  }, async (request) => readScreeningSettings(request.project.screeningSettings))

  fastify.patch('/screening-settings', {
    config: { role: 'owner' },
    schema: {
      tags: ['screening'], summary: 'Change the screening settings (owners)', params: ProjectParams, body: ScreeningSettingsPatch, response: { 200: ScreeningSettings }
    }
  }, async (request) => changeScreeningSettings(fastify, projectCaller(request), request.body))

  fastify.get('/screening/records', {
    schema: {
      tags: ['screening'], summary: 'Records of a stage with their status and the current decisions you may see',
      description: 'Status: awaiting, conflict, included, excluded, maybe. In blind mode reviewers (not owners or resolvers) see "pending" for awaiting and conflict records, and only their own decisions on them.',
      params: ProjectParams, querystring: ScreeningRecordQuery, response: { 200: ScreeningRecordPage }
    }
  }, async (request) => {
    const { settings, viewer: caller } = viewer(request)
    return listScreeningRecords(db, request.project.id, settings, caller, request.query)
  })

  fastify.get('/screening/conflicts', {
    schema: {
      tags: ['screening'], summary: 'Records whose reviewers disagree, with their current decisions', params: ProjectParams,
      querystring: ConflictQuery, response: { 200: ConflictPage }
    }
  }, async (request) => {
    const { settings, viewer: caller } = viewer(request)
    const window = pageWindow(request.query)
    const page = await listConflicts(db, request.project.id, settings, caller, request.query.stage ?? 'title_abstract', window)
    return { ...page, page: request.query.page, pageSize: window.limit }
  })

  fastify.get('/screening/agreement', {
    schema: {
      tags: ['screening'], summary: 'Inter-rater agreement: percent agreement and Cohen\'s kappa per pair of reviewers, Fleiss\' kappa beyond two',
      params: ProjectParams, querystring: StageQuery, response: { 200: Agreement }
    }
  }, async (request) => stageAgreement(db, request.project.id, request.query.stage ?? 'title_abstract'))

  fastify.get('/screening/agreement.csv', {
    schema: {
      tags: ['screening'], summary: 'The paired decisions (one row per record rated by two or more reviewers, one column per reviewer) as CSV',
      params: ProjectParams, querystring: StageQuery, response: { 200: FileResponse('text/csv', 'one row per record, one column per reviewer') }
    }
  }, async (request, reply) => {
    const stage = request.query.stage ?? 'title_abstract'
    const csv = await exportAgreement(db, projectCaller(request), stage)
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="agreement-${stage}.csv"`).send(csv)
  })

  fastify.get('/screening/next', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['screening'], summary: 'The most relevant record you have not screened yet (seeded random order until the model can be trained)',
      params: ProjectParams, querystring: NextQuery, response: { 200: NextRecord }
    }
  }, async (request) => {
    const { settings, viewer: caller } = viewer(request)
    return nextRecord(db, request.project, settings, caller, request.query.stage ?? 'title_abstract', request.query.seed, request.query.count)
  })

  fastify.get('/screening/stats', {
    schema: {
      tags: ['screening'], summary: 'Progress and stopping signals: records since the last include, estimated relevant records remaining',
      params: ProjectParams, querystring: StageQuery, response: { 200: ScreeningStats }
    }
  }, async (request) => screeningStats(db, request.project.id, viewer(request).settings, request.query.stage ?? 'title_abstract'))

  fastify.post('/screening/train', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['screening'], summary: 'Retrain the ranking model now (background; returns the waiting training if one is queued)',
      params: ProjectParams, body: Type.Optional(StageQuery), response: { 202: Task }
    }
  }, async (request, reply) => {
    const { task } = await queueTraining(fastify, request.project.id, request.body?.stage ?? 'title_abstract', request.user.id)
    return reply.status(202).send(toTaskView(task))
  })

  fastify.post('/screening/simulations', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['screening'], summary: 'Simulate active-learning screening on labelled records (WSS@95, RRF@10, ATD, recall curve)',
      description: 'Labels: "import" (labels brought by imports, e.g. an ASReview CSV\'s label_included; default) or "screening" (the project\'s title/abstract outcome). batchId restricts it to one import.',
      params: ProjectParams, body: SimulationBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueSimulation(fastify, request.project.id, request.user.id, request.body)))

  fastify.post('/screening/llm-runs', {
    config: { role: 'reviewer' },
    schema: {
      tags: ['screening'], summary: 'Screen records with a local LLM (background): its decisions are recorded under its own reviewer account',
      description: 'Give a profile (its screening model is the profile\'s preprocessModel) or a model name. By default the run screens every record of the stage that no human has decided and this model has not screened.',
      params: ProjectParams, body: LlmRunBody, response: { 202: Task }
    }
  }, async (request, reply) => reply.status(202).send(await queueLlmRun(fastify, request.project.id, request.user.id, request.body)))
}

export default screeningRoutes
